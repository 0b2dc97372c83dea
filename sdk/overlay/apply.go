package overlay

import (
	"context"
	"fmt"
	"io"

	"github.com/lavacore/lavacore/sdk/archive"
)

// ApplyToDir unpacks the overlay into root (an NFS root or an extracted
// ramdisk), with the refusals of package archive (sdk/archive).
func (ov *Overlay) ApplyToDir(root string) error {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(ov.WriteTarGz(pw)) }()
	_, err := archive.Extract(context.Background(), pr, root, archive.Options{Name: "overlay.tar.gz"})
	pr.CloseWithError(err)
	if err != nil {
		return fmt.Errorf("overlay: apply to %s: %w", root, err)
	}
	return nil
}
