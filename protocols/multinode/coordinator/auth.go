package coordinator

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// authField is the request field that carries a lavacore client's proof:
// {"t": unix seconds, "n": random nonce (hex), "mac": HMAC-SHA256 (hex)}.
const authField = "lavacore_auth"

// ProofWindow is how far a proof's time may be from the coordinator's clock.
const ProofWindow = 5 * time.Minute

// MinSecret is the shortest secret accepted (bytes of the file, trimmed).
const MinSecret = 16

// groupKey is the per-group key every member of the group derives from the
// lab's secret; clientKey binds it to one client_name.
func groupKey(secret []byte, group string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("lavacore-coordinator-group-v1\x00" + group))
	return m.Sum(nil)
}

func clientKey(secret []byte, group, client string) []byte {
	m := hmac.New(sha256.New, groupKey(secret, group))
	m.Write([]byte("client\x00" + client))
	return m.Sum(nil)
}

// canonical is the request as the coordinator decodes it, without the
// proof, as JSON with sorted keys: what the MAC covers.
func canonical(req Request) ([]byte, error) {
	b, err := json.Marshal(withoutProof(req))
	if err != nil {
		return nil, err
	}
	m, err := decodeObject(b) // the client signs what the coordinator will decode
	if err != nil {
		return nil, err
	}
	normalize(m)
	return json.Marshal(m)
}

// canonicalDecoded is canonical of a request the coordinator decoded
// (ReadFrame): decoding and normalizing its JSON again gives it back
// (numbers in objects are float64 and print their shortest form, those in
// arrays stay json.Number, strings are valid UTF-8), so it is marshalled
// once. What the coordinator checks is what it acts on.
func canonicalDecoded(req Request) ([]byte, error) {
	return json.Marshal(withoutProof(req))
}

func withoutProof(req Request) Request {
	r := make(Request, len(req))
	for k, v := range req {
		if k != authField {
			r[k] = v
		}
	}
	return r
}

func mac(secret []byte, req Request, ts int64, nonce string) ([]byte, error) {
	body, err := canonical(req)
	if err != nil {
		return nil, fmt.Errorf("coordinator proof: %w", err)
	}
	return macWith(clientKey(secret, str(req, "group_name"), str(req, "client_name")), body, ts, nonce)
}

func macWith(key, body []byte, ts int64, nonce string) ([]byte, error) {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "lavacore-coordinator-request-v1\x00%d\x00%s\x00", ts, nonce)
	m.Write(body)
	return m.Sum(nil), nil
}

// Sign returns a copy of req with lavacore's proof: an HMAC, keyed for the
// request's group_name and client_name, over the request, the time and a
// random nonce.
func Sign(secret []byte, req Request, now time.Time) (Request, error) {
	var n [16]byte
	if _, err := rand.Read(n[:]); err != nil {
		return nil, fmt.Errorf("coordinator proof: %w", err)
	}
	nonce := hex.EncodeToString(n[:])
	sum, err := mac(secret, req, now.Unix(), nonce)
	if err != nil {
		return nil, err
	}
	out := copyAny(req)
	out[authField] = map[string]any{"t": now.Unix(), "n": nonce, "mac": hex.EncodeToString(sum)}
	return out, nil
}

// ErrUnauthenticated is a request without a valid proof on a listener that requires one.
var ErrUnauthenticated = errors.New("authentication required")

// verifier checks proofs and remembers the ones it accepted until they
// expire, so that none is accepted twice.
type verifier struct {
	mu   sync.Mutex
	seen map[string]time.Time // mac → when it may be forgotten
	max  int
	// keys caches derived client keys (len(group):group client → key) for secret.
	keys   map[string][]byte
	secret []byte
}

// maxKeys bounds the verifier's cache of derived client keys.
const maxKeys = 1 << 14

// clientKey is clientKey(secret, group, client), remembered: a group's
// members ask many times. The names are not checked yet (any a request
// carries), so the cache is bounded: emptied when full.
func (v *verifier) clientKey(secret []byte, group, client string) []byte {
	id := strconv.Itoa(len(group)) + ":" + group + client // unambiguous
	v.mu.Lock()
	if !bytes.Equal(v.secret, secret) {
		v.secret, v.keys = bytes.Clone(secret), nil
	}
	k, ok := v.keys[id]
	v.mu.Unlock()
	if ok {
		return k
	}
	k = clientKey(secret, group, client)
	v.mu.Lock()
	if v.keys == nil || len(v.keys) >= maxKeys {
		v.keys = map[string][]byte{}
	}
	v.keys[id] = k
	v.mu.Unlock()
	return k
}

// verify reports whether req, as ReadFrame decoded it, carries a valid,
// fresh, unused proof.
func (v *verifier) verify(secret []byte, req Request, now time.Time) error {
	p, _ := req[authField].(map[string]any)
	if p == nil {
		return fmt.Errorf("%w: this coordinator serves lavacore clients that prove their group membership (lavacore run --coordinator-secret-file); LAVA dispatchers use its LAVA listener", ErrUnauthenticated)
	}
	tsf, _ := p["t"].(float64)
	ts := int64(tsf)
	nonce, _ := p["n"].(string)
	got, err := hex.DecodeString(str(p, "mac"))
	if err != nil || len(nonce) != 32 || len(got) != sha256.Size {
		return fmt.Errorf("%w: malformed proof", ErrUnauthenticated)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > ProofWindow || d < -ProofWindow {
		return fmt.Errorf("%w: the proof's time is %s away from the coordinator's clock (over %s)", ErrUnauthenticated, d.Round(time.Second), ProofWindow)
	}
	body, err := canonicalDecoded(req)
	var want []byte
	if err == nil {
		want, err = macWith(v.clientKey(secret, str(req, "group_name"), str(req, "client_name")), body, ts, nonce)
	}
	if err != nil || !hmac.Equal(got, want) {
		return fmt.Errorf("%w: wrong proof for client %s of group %s (not the lab's coordinator secret?)", ErrUnauthenticated, quote(str(req, "client_name")), quote(str(req, "group_name")))
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.seen == nil {
		v.seen = map[string]time.Time{}
	}
	key := string(got)
	if _, dup := v.seen[key]; dup {
		return fmt.Errorf("%w: a replayed proof", ErrUnauthenticated)
	}
	max := v.max
	if max <= 0 {
		max = 1 << 17
	}
	if len(v.seen) >= max {
		for k, until := range v.seen {
			if now.After(until) {
				delete(v.seen, k)
			}
		}
		if len(v.seen) >= max {
			return fmt.Errorf("%w: too many requests in %s; try again", ErrUnauthenticated, ProofWindow)
		}
	}
	v.seen[key] = time.Unix(ts, 0).Add(ProofWindow + time.Second)
	return nil
}

// ReadSecret reads a coordinator secret file: its content, trimmed of
// surrounding white space, at least MinSecret bytes. A file that others
// may read is refused.
func ReadSecret(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("coordinator secret: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("coordinator secret %s: mode %04o lets others read it (chmod 600)", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("coordinator secret: %w", err)
	}
	b = bytes.TrimSpace(b)
	if len(b) < MinSecret {
		return nil, fmt.Errorf("coordinator secret %s: %d bytes, want at least %d", path, len(b), MinSecret)
	}
	return b, nil
}

// NewSecretFile writes a new random secret to path (mode 0600); it refuses
// to replace an existing file.
func NewSecretFile(path string) error {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("coordinator secret: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("coordinator secret: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(b[:]) + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("coordinator secret: %w", err)
	}
	return f.Close()
}

// Address is where a coordinator is and, for lavacore's coordinator, the
// file holding the lab's secret. Its string form (what `lavacore run`
// passes a protocol) is "HOST:PORT" or "HOST:PORT?secret-file=PATH".
type Address struct {
	Addr, SecretFile string
}

// ParseAddress parses an Address's string form.
func ParseAddress(s string) (Address, error) {
	addr, query, _ := strings.Cut(s, "?")
	a := Address{Addr: addr}
	if query != "" {
		q, err := url.ParseQuery(query)
		if err != nil {
			return a, fmt.Errorf("coordinator address %s: %w", strconv.Quote(s), err)
		}
		for k := range q {
			if k != "secret-file" {
				return a, fmt.Errorf("coordinator address %s: unknown option %s", strconv.Quote(addr), strconv.Quote(k))
			}
		}
		a.SecretFile = q.Get("secret-file")
	}
	if a.Addr == "" {
		return a, fmt.Errorf("coordinator address %s: no HOST:PORT", strconv.Quote(s))
	}
	return a, nil
}

// String is the Address's string form.
func (a Address) String() string {
	if a.SecretFile == "" {
		return a.Addr
	}
	return a.Addr + "?" + url.Values{"secret-file": {a.SecretFile}}.Encode()
}
