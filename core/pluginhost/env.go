package pluginhost

import "os"

// A plugin starts with an explicit environment, never the dispatcher's
// whole one (which may hold tokens, cloud credentials, an ssh agent socket):
// its instance mark, then the host's value of each name passedEnv lists, if
// set. go-plugin adds its handshake variables itself, and Start the mutual TLS ones
// (ClientConfig.SkipHostEnv keeps it from appending os.Environ()).

// passedEnv names what plugins and the programs they start (telnet, ssh,
// qemu, git, tar) need from the host: where programs are, the user's home
// and temporary directory (ssh and git read their configuration there),
// locale and time zone, the terminal type a console client announces, the
// HTTP proxy and CA settings downloads use, and lavacore's own settings
// that plugins read.
func passedEnv() []string {
	return []string{
		"PATH", "HOME", "USER", "LOGNAME", "TMPDIR", "TZ", "TERM",
		"LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES",
		"http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
		"SSL_CERT_FILE", "SSL_CERT_DIR",
		"LAVACORE_STATE_DIR", "LAVACORE_KEEP", "LAVACORE_PLUGIN_LOG",
		"GOGC", "GOMEMLIMIT", // the Go runtime's memory settings, for the plugins too
	}
}

// defaultPath is the PATH of a plugin when the host has none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// pluginEnv is the environment of the plugin process marked instance.
func pluginEnv(instance string) []string {
	env := []string{InstanceEnv + "=" + instance}
	for _, k := range passedEnv() {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	if _, ok := os.LookupEnv("PATH"); !ok {
		env = append(env, "PATH="+defaultPath)
	}
	return env
}
