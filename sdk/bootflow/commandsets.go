package bootflow

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lavacore/lavacore/sdk"
)

// A bootloader's device block (a grub or u-boot method block of the device
// type) names its command sets under "commands"; a boot block's "commands"
// is one of those names or a literal list of command lines.

// CommandSets is the sorted names of the command sets of a bootloader's
// device block.
func CommandSets(block map[string]any) []string {
	sets, _ := block["commands"].(map[string]any)
	names := make([]string, 0, len(sets))
	for n := range sets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// CommandList is the command lines a boot block's commands value stands
// for: the device block's command set of that name, or the literal list.
// A name the device block lacks is LAVA's JobError.
func CommandList(commands any, block map[string]any) ([]string, error) {
	switch c := commands.(type) {
	case string:
		sets, _ := block["commands"].(map[string]any)
		lines, ok := sets[c]
		if !ok {
			return nil, sdk.JobErrorf("Command '%s' not found in supported methods", c)
		}
		return StringList(lines), nil
	case []any:
		return StringList(c), nil
	}
	return nil, sdk.JobErrorf("commands: expected a command set name or a list of commands")
}

// UnknownCommandSet is the diagnostic for a boot block naming a command
// set that the device block lacks (nil when it has it): LAVA's message,
// with the sets the device type has.
func UnknownCommandSet(req sdk.Request, name string, block map[string]any) *sdk.Diagnostic {
	sets, _ := block["commands"].(map[string]any)
	if _, ok := sets[name]; ok {
		return nil
	}
	d := sdk.Diagnostic{Path: "commands", Summary: fmt.Sprintf("Command '%s' not found in supported methods", name)}
	if names := CommandSets(block); len(names) > 0 {
		d.Detail = fmt.Sprintf("device type %q has the command sets: %s", req.Device.Type, strings.Join(names, ", "))
	}
	return &d
}
