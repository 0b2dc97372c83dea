package pluginhost

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestPluginEnv_HostSecretsNotInherited: a plugin starts with an explicit,
// minimal environment, not the dispatcher's: a secret in the host's
// environment (a token, an ssh agent socket) is not visible to it, while
// what its children need (PATH, HOME) and its instance mark are.
func TestPluginEnv_HostSecretsNotInherited(t *testing.T) {
	t.Setenv("LAVACORE_TEST_SECRET", "x")
	t.Setenv("SSH_AUTH_SOCK", "/tmp/agent.sock")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "y")
	t.Setenv("HOME", "/home/lavacore-test")
	t.Setenv("LAVACORE_STATE_DIR", "/var/lib/lavacore-test")
	_, m := startTest(t)
	fh := newFakeHost()
	if err := m.Run(context.Background(), callOf("env", nil), fh); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, kv := range fh.logs {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	for _, secret := range []string{"LAVACORE_TEST_SECRET", "SSH_AUTH_SOCK", "AWS_SECRET_ACCESS_KEY"} {
		if _, ok := env[secret]; ok {
			t.Errorf("the plugin sees the host's %s", secret)
		}
	}
	want := map[string]string{"PATH": os.Getenv("PATH"), "HOME": "/home/lavacore-test", "LAVACORE_STATE_DIR": "/var/lib/lavacore-test"}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("the plugin's %s is %q, want %q", k, env[k], v)
		}
	}
	if !strings.HasPrefix(env[InstanceEnv], "testplugin-") {
		t.Errorf("no instance mark: %q", env[InstanceEnv])
	}
	if len(env) > 30 {
		t.Errorf("the plugin's environment has %d variables, not a minimal one:\n%s", len(env), strings.Join(fh.logs, "\n"))
	}
}
