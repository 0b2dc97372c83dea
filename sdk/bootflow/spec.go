package bootflow

import (
	"strconv"
	"strings"

	"github.com/lavacore/lavacore/sdk"
)

// SpecPath finds the declared action at level inside the block's top action
// (whose level has one segment): the child indices from top, and the action.
func SpecPath(top sdk.ActionSpec, level string) ([]int, sdk.ActionSpec, bool) {
	segs := strings.Split(level, ".")
	if len(segs) < 1 {
		return nil, sdk.ActionSpec{}, false
	}
	cur := top
	var path []int
	for _, s := range segs[1:] {
		i, err := strconv.Atoi(s)
		if err != nil || i < 1 || i > len(cur.Children) {
			return nil, sdk.ActionSpec{}, false
		}
		path = append(path, i-1)
		cur = cur.Children[i-1]
	}
	return path, cur, true
}
