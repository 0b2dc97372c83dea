package sdk

// ParamSpec declares one key a method takes in its job action block (a
// deploy's `kernel:`, a boot's `commands:`). The host checks a job against
// the ParamSpecs of its methods' manifests before it starts any plugin
// (`lavacore validate`), with LAVA's error messages; a method's own Validate
// still runs for what a declaration cannot say.
//
// The keys every action accepts (namespace, timeout, failure_retry …), the
// keys every deploy accepts (to, os, authorize, overlay_backend) and every
// boot (method, prompts, auto_login, transfer_overlay, parameters …) are the
// host's: a method declares only its own. A test method is the kind of test
// block it serves (definitions, interactive …); a command method is asked
// for every command block, so it declares `name`.
type ParamSpec struct {
	// Key is the block's key; "*" stands for any other key (in Fields).
	Key string `json:"key"`
	// Type is one of the ParamXxx types.
	Type     string `json:"type"`
	Required bool   `json:"required,omitempty"`
	// Enum lists the allowed values of a ParamString ("not a valid value (one of: …)").
	Enum []string `json:"enum,omitempty"`
	// Min is the smallest ParamInt allowed.
	Min int `json:"min,omitempty"`
	// Fields are the keys of a ParamMap, or the keys a ParamArtifact takes
	// beyond LAVA's url, compression, archive, md5sum, sha256sum, sha512sum,
	// headers and use_cache.
	Fields []ParamSpec `json:"fields,omitempty"`
	// Pattern, when set, is a regular expression (Go syntax) a ParamString
	// or ParamScalar must match ("does not match regular expression …").
	Pattern string `json:"pattern,omitempty"`
	// Within names, for a ParamRelPath, the directory the path stays inside
	// (the message says "must be a relative path inside <Within>").
	Within string `json:"within,omitempty"`
	// With, when set, allows the key only in a block that also has the key
	// With (LAVA's docker test shell takes downloads-namespace only with
	// docker); elsewhere it is an extra key.
	With string `json:"with,omitempty"`
	// Error, when set, replaces the message for a wrong value (LAVA's text).
	Error string `json:"error,omitempty"`
	Doc   string `json:"doc,omitempty"`
}

// The types of a ParamSpec.
const (
	ParamString       = "string"         // a non-empty string
	ParamScalar       = "scalar"         // any scalar (YAML may type it int or bool), taken as a string
	ParamBool         = "bool"           // true or false
	ParamInt          = "int"            // an integer ≥ Min
	ParamStringOrList = "string-or-list" // a non-empty string or a non-empty list of them
	ParamStringMap    = "map(string)"    // a dictionary of non-empty strings
	ParamMap          = "map"            // a dictionary of Fields
	ParamArtifact     = "artifact"       // LAVA's download dictionary (url …) plus Fields
	ParamArtifactList = "list(artifact)" // a list of artifacts
	ParamAny          = "any"            // anything
	ParamRelPath      = "relpath"        // a relative path that stays inside its directory (Within)
	ParamFileURLs     = "map(file,url)"  // a dictionary of file names (no "/" or "..") to urls (tftp's extra_files)
	ParamDocker       = "docker"         // LAVA's docker dictionary (image, local, container_name, network_from, login)
	ParamDefinitions  = "definitions"    // LAVA's list of test definitions (from git, url or inline)
)
