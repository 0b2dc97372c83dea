package sdk

// ServeConfig lists what one plugin binary serves.
type ServeConfig struct {
	Name      string // plugin name, e.g. "tftp"
	Version   string // semver, e.g. "0.1.0"
	Methods   []Method
	Protocols []Protocol
}

// Serve runs the plugin: it answers `describe` on the command line, otherwise
// it serves cfg over go-plugin gRPC until the host goes away. It does not return.
func Serve(cfg ServeConfig) {
	serve(cfg)
}

// serve is set by plugin.go to the go-plugin implementation.
var serve func(cfg ServeConfig)
