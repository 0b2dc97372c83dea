package pipeline

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Description is one action in LAVA's pipeline description shape
// (pipeline_refs, description.yaml), keys in LAVA's order.
type Description struct {
	Class       string        `yaml:"class,omitempty" json:"class,omitempty"`
	Name        string        `yaml:"name" json:"name"`
	Level       string        `yaml:"level" json:"level"`
	MaxRetries  int           `yaml:"max_retries" json:"max_retries"`
	Description string        `yaml:"description" json:"description"`
	Summary     string        `yaml:"summary" json:"summary"`
	Timeout     float64       `yaml:"timeout" json:"timeout"`
	URL         string        `yaml:"url,omitempty" json:"url,omitempty"`
	Pipeline    []Description `yaml:"pipeline,omitempty" json:"pipeline,omitempty"`
}

// Describe returns the tree as LAVA's describe() does.
func (p *Pipeline) Describe() []Description { return describe(p.Actions) }

func describe(ns []*Node) []Description {
	if len(ns) == 0 {
		return nil
	}
	out := make([]Description, len(ns))
	for i, n := range ns {
		out[i] = Description{
			Class: n.Class, Name: n.Name, Level: n.Level, MaxRetries: n.MaxRetries,
			Description: n.Description, Summary: n.Summary, Timeout: seconds(n.Timeout),
			URL: n.URL, Pipeline: describe(n.Children),
		}
	}
	return out
}

func seconds(d time.Duration) float64 { return d.Seconds() }

// SubJobDescription is one sub-job's pipeline as `lavacore describe` prints it.
type SubJobDescription struct {
	SubJob   SubJobID      `yaml:"sub_job" json:"sub_job"`
	Pipeline []Description `yaml:"pipeline" json:"pipeline"`
}

// SubJobID names a sub-job (role is empty for single-node jobs).
type SubJobID struct {
	Role  string `yaml:"role" json:"role"`
	SubID int    `yaml:"sub_id" json:"sub_id"`
}

// WriteYAML writes v — a []Description, []SubJobDescription, or anything
// else yaml.v3 can encode — as YAML in PyYAML's block style (LAVA's
// description.yaml): sequences flush with their key, levels as strings
// ('1', '1.2', 1.2.3).
func WriteYAML(w io.Writer, v any) error {
	var b []byte
	switch x := v.(type) {
	case []Description:
		b = appendDescriptions(nil, x, 0)
	case []SubJobDescription:
		for _, s := range x {
			b = append(b, "- sub_job:\n    role: "...)
			b = appendScalar(b, s.SubJob.Role)
			b = append(b, "\n    sub_id: "...)
			b = strconv.AppendInt(b, int64(s.SubJob.SubID), 10)
			b = append(b, "\n  pipeline:"...)
			if len(s.Pipeline) == 0 {
				b = append(b, " []\n"...)
				continue
			}
			b = append(b, '\n')
			b = appendDescriptions(b, s.Pipeline, 2)
		}
		if len(x) == 0 {
			b = append(b, "[]\n"...)
		}
	default:
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("describe: %w", err)
		}
		return enc.Close()
	}
	_, err := w.Write(b)
	return err
}

func appendDescriptions(b []byte, ds []Description, indent int) []byte {
	pad := strings.Repeat(" ", indent)
	for _, d := range ds {
		first := true
		key := func(k string) {
			if first {
				b = append(b, pad...)
				b = append(b, "- "...)
				first = false
			} else {
				b = append(b, pad...)
				b = append(b, "  "...)
			}
			b = append(b, k...)
			b = append(b, ": "...)
		}
		if d.Class != "" {
			key("class")
			b = appendScalar(b, d.Class)
			b = append(b, '\n')
		}
		key("name")
		b = appendScalar(b, d.Name)
		b = append(b, '\n')
		key("level")
		b = appendScalar(b, d.Level)
		b = append(b, '\n')
		key("max_retries")
		b = strconv.AppendInt(b, int64(d.MaxRetries), 10)
		b = append(b, '\n')
		key("description")
		b = appendScalar(b, d.Description)
		b = append(b, '\n')
		key("summary")
		b = appendScalar(b, d.Summary)
		b = append(b, '\n')
		key("timeout")
		b = strconv.AppendFloat(b, d.Timeout, 'f', -1, 64)
		b = append(b, '\n')
		if d.URL != "" {
			key("url")
			b = appendScalar(b, d.URL)
			b = append(b, '\n')
		}
		if len(d.Pipeline) > 0 {
			key("pipeline")
			b = b[:len(b)-1] // "pipeline:" then the nested list
			b = append(b, '\n')
			b = appendDescriptions(b, d.Pipeline, indent+2)
		}
	}
	return b
}

// appendScalar writes s plain when YAML reads it back as the same string,
// single-quoted otherwise (double-quoted when it holds control characters).
func appendScalar(b []byte, s string) []byte {
	if v, ok := scalarCache.Load(s); ok {
		return append(b, v.(string)...)
	}
	q := string(quoteScalar(nil, s))
	if len(s) < 256 && scalarCount.Add(1) <= 4096 {
		scalarCache.Store(s, q)
	}
	return append(b, q...)
}

// scalarCache remembers how each (short) string is written: a pipeline
// repeats the same names and texts hundreds of times.
var (
	scalarCache sync.Map
	scalarCount atomic.Int64
)

func quoteScalar(b []byte, s string) []byte {
	if plainSafe(s) {
		return append(b, s...)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) && r != ' ' {
			return appendDoubleQuoted(b, s)
		}
	}
	b = append(b, '\'')
	b = append(b, strings.ReplaceAll(s, "'", "''")...)
	return append(b, '\'')
}

func appendDoubleQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == ' ' || unicode.IsPrint(r) && r != 0xfeff:
			b = utf8.AppendRune(b, r)
		case r > 0xffff:
			b = fmt.Appendf(b, "\\U%08x", r)
		default:
			b = fmt.Appendf(b, "\\u%04x", r)
		}
	}
	return append(b, '"')
}

func plainSafe(s string) bool {
	if s == "" || s[0] == ' ' || s[len(s)-1] == ' ' || s[len(s)-1] == ':' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == ' ' || c == '.' || c == '/' || c == '_' || c == '(' || c == ')' || c == '+' || c == '=' || c == '~':
			if i == 0 && (c == '(' || c == '~') {
				return false
			}
		case c == '-' || c == ',' || c == ':':
			if i == 0 {
				return false
			}
			if c == ':' && i+1 < len(s) && s[i+1] == ' ' {
				return false
			}
		default:
			return false
		}
	}
	if strings.Contains(s, " #") {
		return false
	}
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null":
		return false
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return false
	}
	if _, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 0, 64); err == nil {
		return false
	}
	if strings.Count(s, ":") > 0 && isSexagesimal(s) {
		return false
	}
	return true
}

// isSexagesimal: YAML 1.1 reads 1:20 as a number.
func isSexagesimal(s string) bool {
	for _, part := range strings.Split(s, ":") {
		if _, err := strconv.Atoi(part); err != nil {
			return false
		}
	}
	return true
}

// WriteJSON writes v as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteDescription writes LAVA's description.yaml: `pipeline:` then the tree.
func (p *Pipeline) WriteDescription(w io.Writer) error {
	b := []byte("pipeline:\n")
	b = appendDescriptions(b, p.Describe(), 0)
	_, err := w.Write(b)
	return err
}
