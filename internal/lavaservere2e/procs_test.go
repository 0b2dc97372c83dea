package lavaservere2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// sampler follows the process tree of the lava-run that runs one job (found in /proc by its
// --job-id=ID, or the title LAVA's lava-run gives itself, "lava-run [job: ID]") every 100 ms: how long it lived and the peak of its processes' summed
// RSS, the dispatcher's own (lava-run, plugins, helpers) apart from QEMU's.
type sampler struct {
	jobID    string // --job-id=ID
	title    string // [job: ID]
	stop     chan struct{}
	done     chan struct{}
	mu       sync.Mutex
	first    time.Time
	last     time.Time
	peakDisp int // kB, every process of the tree but qemu-system-*
	peakQEMU int // kB
	names    map[string]bool
	seen     map[int]string // pid: comm, of every process seen in the tree
	root     int            // the lava-run process last seen
	qemuAt   time.Time      // when a qemu-system process was first seen in the tree
	qemuNice int            // the highest nice value a qemu-system process of the tree had
}

func newSampler(jobID int) *sampler {
	s := &sampler{jobID: "--job-id=" + strconv.Itoa(jobID), title: "[job: " + strconv.Itoa(jobID) + "]", stop: make(chan struct{}), done: make(chan struct{}), names: map[string]bool{}, seen: map[int]string{}}
	go s.loop()
	return s
}

func (s *sampler) loop() {
	defer close(s.done)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		s.sample()
		select {
		case <-s.stop:
			return
		case <-tick.C:
		}
	}
}

// sampleGroup follows each job of a MultiNode group (newSampler) until the test ends.
func sampleGroup(t *testing.T, ids []int) []*sampler {
	samplers := make([]*sampler, len(ids))
	for i, id := range ids {
		samplers[i] = newSampler(id)
	}
	t.Cleanup(func() {
		for _, smp := range samplers {
			smp.finish()
		}
	})
	return samplers
}

// finish stops sampling.
func (s *sampler) finish() {
	close(s.stop)
	<-s.done
}

type procInfo struct {
	ppid    int
	nice    int
	comm    string
	cmdline []byte
	rssKB   int
}

func readProcs() map[int]procInfo {
	ents, _ := os.ReadDir("/proc")
	procs := map[int]procInfo{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		dir := filepath.Join("/proc", e.Name())
		stat, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		i := bytes.LastIndexByte(stat, ')')
		j := bytes.IndexByte(stat, '(')
		if i < 0 || j < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		p := procInfo{ppid: ppid, comm: string(stat[j+1 : i])}
		if len(f) > 16 { // field 19 of proc(5)'s stat
			p.nice, _ = strconv.Atoi(f[16])
		}
		p.cmdline, _ = os.ReadFile(filepath.Join(dir, "cmdline"))
		status, _ := os.ReadFile(filepath.Join(dir, "status"))
		for _, l := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(l, "VmRSS:") {
				if g := strings.Fields(l); len(g) >= 2 {
					p.rssKB, _ = strconv.Atoi(g[1])
				}
			}
		}
		procs[pid] = p
	}
	return procs
}

func (s *sampler) sample() {
	procs := readProcs()
	ours := func(p procInfo) bool {
		return bytes.Contains(p.cmdline, []byte("lava-run")) &&
			(bytes.Contains(p.cmdline, []byte(s.jobID)) || bytes.Contains(p.cmdline, []byte(s.title)))
	}
	root := 0
	for pid, p := range procs {
		if ours(p) {
			if pp, ok := procs[p.ppid]; !ok || !ours(pp) {
				root = pid
			}
		}
	}
	if root == 0 {
		return
	}
	children := map[int][]int{}
	for pid, p := range procs {
		children[p.ppid] = append(children[p.ppid], pid)
	}
	disp, qemu := 0, 0
	s.mu.Lock()
	defer s.mu.Unlock()
	for todo := []int{root}; len(todo) > 0; {
		pid := todo[0]
		todo = append(todo[1:], children[pid]...)
		p := procs[pid]
		s.names[p.comm] = true
		s.seen[pid] = p.comm
		if strings.HasPrefix(p.comm, "qemu-system") {
			qemu += p.rssKB
			if s.qemuAt.IsZero() {
				s.qemuAt = time.Now()
			}
			s.qemuNice = max(s.qemuNice, p.nice)
		} else {
			disp += p.rssKB
		}
	}
	s.root = root
	now := time.Now()
	if s.first.IsZero() {
		s.first = now
	}
	s.last = now
	s.peakDisp = max(s.peakDisp, disp)
	s.peakQEMU = max(s.peakQEMU, qemu)
}

// leftovers lists the processes still running a binary installed under prefix (lavacore,
// its plugins): none should outlive the job that started them.
func leftovers(prefix string) []string {
	var out []string
	for pid, p := range readProcs() {
		exe, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "exe"))
		if err == nil && strings.HasPrefix(exe, prefix+string(filepath.Separator)) {
			out = append(out, strconv.Itoa(pid)+" "+p.comm)
		}
	}
	return out
}

// saw reports whether a process named comm was seen in the tree.
func (s *sampler) saw(comm string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.names[comm]
}

// alive lists the processes seen in the tree that still run (same pid, same name): none
// should outlive the job.
func (s *sampler) alive() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	procs := readProcs()
	var out []string
	for pid, comm := range s.seen {
		if p, ok := procs[pid]; ok && p.comm == comm {
			out = append(out, strconv.Itoa(pid)+" "+comm)
		}
	}
	return out
}

// rootPID is the pid of the job's lava-run (0 before it was seen).
func (s *sampler) rootPID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.root
}
