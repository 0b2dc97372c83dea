package sdk

// ParamSpec declares one key a method takes in its job action block (a
// deploy's `kernel:`, a boot's `commands:`). The host checks a job against
// the ParamSpecs of its methods' manifests before it starts any plugin
// (`lavacore validate`), with LAVA's error messages; a method's own Validate
// still runs for what a declaration cannot say.
//
// The keys every action accepts (namespace, timeout, failure_retry …) and,
// for boot methods, the keys every boot method accepts (prompts, auto_login,
// transfer_overlay, parameters …) are the host's: a method declares only its own.
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
)
