package pluginhost

import (
	"fmt"
	"os"
	"strings"

	"github.com/lavacore/lavacore/sdk"
)

// Entry is one plugin binary of a Catalog with what its manifest file says.
type Entry struct {
	Binary
	// Dir is the index of the binary's directory in the Catalog's Dirs
	// (a lower index takes precedence).
	Dir int
	// Manifest is the recorded manifest (zero when it cannot be read).
	Manifest sdk.Manifest
	// Shadows lists the binaries of the same plugin name in later
	// directories that this one hides.
	Shadows []string
	// Overridden maps each of this plugin's methods (by "<section>/<name>")
	// or protocols ("protocol/<name>") that a plugin of higher precedence
	// serves instead to that plugin's path.
	Overridden map[string]string
}

// Usable says whether the plugin may be started.
func (e *Entry) Usable() bool { return e.Problem == "" }

// Catalog is the plugins found on a plugin path, read without starting any:
// their checksum files and recorded manifests. It is built once per command.
//
// Every directory adds to the ones after it: a method (or a protocol) that
// several plugins serve is served by the plugin of the first directory that
// has one (within a directory, the first plugin by name), and the others are
// marked Overridden; a plugin file of the same name in a later directory is
// hidden (Shadows). So $LAVACORE_PLUGIN_PATH may override a built-in method
// on purpose, and `lavacore plugins list` says so.
type Catalog struct {
	Dirs    []string
	Entries []*Entry // by precedence: directory order, then name
}

// Scan reads the plugins of dirs: their file names, checksum files and
// manifests. It starts nothing and hashes nothing (a plugin's sha256 is
// checked when it is started); see Verify.
func Scan(dirs []string) *Catalog {
	c := &Catalog{Dirs: dirs}
	byName := map[string]*Entry{}
	for i, d := range dirs {
		for _, b := range discoverDir(d) {
			if first := byName[b.Name]; first != nil {
				first.Shadows = append(first.Shadows, b.Path)
				continue
			}
			e := &Entry{Binary: b, Dir: i}
			byName[b.Name] = e
			readSum(&e.Binary)
			if e.Problem == "" {
				m, err := ReadManifest(e.Binary)
				e.Manifest = m
				if err != nil {
					e.Problem = err.Error()
				}
			}
			c.Entries = append(c.Entries, e)
		}
	}
	c.resolve()
	return c
}

// Verify hashes every usable binary and marks a mismatch with its checksum file.
func (c *Catalog) Verify() {
	for _, e := range c.Entries {
		if e.Problem != "" {
			continue
		}
		b := e.Binary
		checkSum(&b)
		e.Binary = b
	}
	c.resolve()
}

// readSum reads the checksum file beside b without hashing b.
func readSum(b *Binary) {
	raw, err := os.ReadFile(b.Path + ChecksumSuffix)
	if err != nil {
		if b.Problem == "" {
			b.Problem = fmt.Sprintf("no checksum file %s%s (run 'lavacore plugins checksum DIR' or 'lavacore plugins install')", b.Path, ChecksumSuffix)
		}
		return
	}
	if f := strings.Fields(string(raw)); len(f) > 0 {
		b.Checksum = f[0]
	}
}

// resolve decides which plugin serves each method and protocol.
func (c *Catalog) resolve() {
	owner := map[string]*Entry{}
	for _, e := range c.Entries {
		e.Overridden = nil
		if !e.Usable() {
			continue
		}
		for _, k := range e.keys() {
			if o := owner[k]; o != nil && o != e {
				if e.Overridden == nil {
					e.Overridden = map[string]string{}
				}
				e.Overridden[k] = o.Path
				continue
			}
			owner[k] = e
		}
	}
}

// keys lists what the plugin serves: method keys and "protocol/<name>".
func (e *Entry) keys() []string {
	var ks []string
	for _, m := range e.Manifest.Methods {
		ks = append(ks, m.Key())
	}
	for _, p := range e.Manifest.Protocols {
		ks = append(ks, "protocol/"+p)
	}
	return ks
}

// Methods lists the methods the catalog serves (overridden ones left out),
// in precedence order.
func (c *Catalog) Methods() []sdk.MethodInfo {
	var out []sdk.MethodInfo
	for _, e := range c.Entries {
		if !e.Usable() {
			continue
		}
		for _, m := range e.Manifest.Methods {
			if _, gone := e.Overridden[m.Key()]; !gone {
				out = append(out, m)
			}
		}
	}
	return out
}

// ProtocolEntry is the plugin that serves the named protocol, or nil.
func (c *Catalog) ProtocolEntry(name string) *Entry {
	for _, e := range c.Entries {
		if !e.Usable() {
			continue
		}
		if _, gone := e.Overridden["protocol/"+name]; gone {
			continue
		}
		for _, p := range e.Manifest.Protocols {
			if p == name {
				return e
			}
		}
	}
	return nil
}

// Problems lists the unusable plugins, one line each.
func (c *Catalog) Problems() []string {
	var out []string
	for _, e := range c.Entries {
		if !e.Usable() {
			out = append(out, fmt.Sprintf("plugin %s (%s): %s", e.Name, e.Path, e.Problem))
		}
	}
	return out
}
