package runner

import "sync"

// NSData is LAVA's namespace data: {namespace: {action: {label: {key: value}}}},
// values JSON-encoded. It is shared by every action of a (sub-)job.
type NSData struct {
	mu sync.Mutex
	m  map[[4]string]string
}

// Get reads one value.
func (d *NSData) Get(ns, action, label, key string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.m[[4]string{ns, action, label, key}]
	return v, ok
}

// Set writes one value.
func (d *NSData) Set(ns, action, label, key, value string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil {
		d.m = map[[4]string]string{}
	}
	d.m[[4]string{ns, action, label, key}] = value
}
