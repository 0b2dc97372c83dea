package multinode

import (
	"context"
	"testing"

	"github.com/lavacore/lavacore/sdk"
)

// The protocols of one factory share its coordinator; another factory (another
// run, another plugin process) has its own: no process-wide coordinator.
func TestFactoryCoordinators(t *testing.T) {
	f, g := Factory(), Factory()
	a, b, c := f().(*Protocol), f().(*Protocol), g().(*Protocol)
	if a.coord == nil || a.coord != b.coord {
		t.Error("the protocols of one factory do not share a coordinator")
	}
	if a.coord == c.coord {
		t.Error("two factories share a coordinator")
	}
	err := NewWith(nil).Configure(context.Background(), sdk.ProtocolConfig{JobID: "1",
		Params: map[string]any{"target_group": "g", "role": "r", "group_size": 1}})
	if sdk.TypeOf(err) != sdk.Configuration {
		t.Errorf("no coordinator: %v (%s)", err, sdk.TypeOf(err))
	}
}
