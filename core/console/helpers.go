package console

import "context"

// Disconnect leaves the console politely before closing it, as LAVA's
// disconnect-device: with the "telnet" tag it sends Ctrl-] and "quit"; with
// the "ssh" tag an empty line and "~." (ssh's escape). Then it closes the
// console (killing a connection command's process group).
func (c *Console) Disconnect(ctx context.Context, tags []string) error {
	for _, t := range tags {
		switch t {
		case "telnet":
			_ = c.SendRaw(ctx, "\x1d")
			_ = c.SendLine(ctx, "quit")
		case "ssh":
			_ = c.SendLine(ctx, "")
			_ = c.SendRaw(ctx, "~.")
		}
	}
	return c.Close()
}
