package cache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"
)

// put stores data for url, last used at t.
func put(t *testing.T, c *Cache, url string, data []byte, used time.Time) string {
	t.Helper()
	w, err := c.Create()
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	s := sha256.Sum256(data)
	sum := hex.EncodeToString(s[:])
	if err := w.Commit(sum, int64(len(data))); err != nil {
		t.Fatal(err)
	}
	if err := c.Record(Entry{URL: url, SHA256: sum, Size: int64(len(data)), Stored: used, LastUsed: used}); err != nil {
		t.Fatal(err)
	}
	return sum
}

func TestPrune_EvictsLeastRecentlyUsedNeverInUse(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		inUse    int // index of the entry held open, -1 none
		max      int64
		wantGone []int
	}{
		{"oldest goes first", -1, 200, []int{0}},
		{"oldest in use: the next oldest goes", 0, 200, []int{1}},
		{"all: everything but the one in use", 2, 0, []int{0, 1}},
		{"under the bound: nothing", -1, 300, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Open(t.TempDir(), 1<<20, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var sums []string
			for i := range 3 {
				sums = append(sums, put(t, c, fmt.Sprintf("http://h/%d", i), bytes.Repeat([]byte{byte(i)}, 100), t0.Add(time.Duration(i)*time.Hour)))
			}
			if tc.inUse >= 0 {
				o, err := c.OpenObject(sums[tc.inUse])
				if err != nil {
					t.Fatal(err)
				}
				defer o.Close()
			}
			res, err := c.Prune(context.Background(), tc.max)
			if err != nil {
				t.Fatal(err)
			}
			gone := map[int]bool{}
			for _, i := range tc.wantGone {
				gone[i] = true
			}
			for i := range 3 {
				_, ok := c.Lookup(fmt.Sprintf("http://h/%d", i))
				if ok == gone[i] {
					t.Errorf("entry %d cached = %v, want %v (pruned %+v)", i, ok, !gone[i], res)
				}
			}
			if tc.inUse >= 0 && res.InUse == 0 && tc.max == 0 {
				t.Errorf("Prune did not report the entry in use: %+v", res)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		bad  bool
	}{{"1024", 1024, false}, {"20G", 20 << 30, false}, {"512MiB", 512 << 20, false}, {"1.5k", 1536, false}, {"0", 0, false}, {"lots", 0, true}, {"-1G", 0, true}} {
		got, err := ParseSize(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v", tc.in, got, err)
		}
	}
}
