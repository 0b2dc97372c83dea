package pipeline

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

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

// WriteYAML writes v (a []Description or []SubJobDescription) as YAML with
// LAVA's two-space indentation and levels as strings.
func WriteYAML(w io.Writer, v any) error {
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("describe: %w", err)
	}
	return enc.Close()
}

// WriteJSON writes v as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
