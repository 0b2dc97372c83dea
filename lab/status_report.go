package lab

import (
	"context"
	"fmt"
)

// StatusReport is what `lavacore lab status --output json` prints: the
// same facts as Status, with stable snake_case fields.
type StatusReport struct {
	Dir        string          `json:"dir"`
	Cache      string          `json:"cache"`
	State      string          `json:"state"` // up, down, partly up
	Namespace  string          `json:"namespace"`
	ServerIP   string          `json:"server_ip"`
	HTTPBase   string          `json:"http_base"`
	Dispatcher string          `json:"dispatcher"`
	Veth       string          `json:"veth"`
	Services   []ServiceStatus `json:"services"`
	Boards     []BoardStatus   `json:"boards"`
	LeftOver   []string        `json:"left_over"`
}

// ServiceStatus is one of the lab's services; PID 0 when it is not running.
type ServiceStatus struct {
	Name string `json:"name"`
	PID  int    `json:"pid"`
	What string `json:"what"`
}

// BoardStatus is one board: its power (on, off), QEMU's pid (0 when off),
// and its console ("" without a relay).
type BoardStatus struct {
	Name    string `json:"name"`
	Power   string `json:"power"`
	PID     int    `json:"pid"`
	Console string `json:"console"`
	Address string `json:"address"`
	MAC     string `json:"mac"`
}

// Report is the lab's status as data (Status prints it for people).
func (l *Lab) Report(ctx context.Context) StatusReport {
	st := l.state(ctx)
	r := StatusReport{Dir: l.Dir, Cache: l.Cache, State: "down", Namespace: Netns, ServerIP: ServerIP, HTTPBase: HTTPBase,
		Dispatcher: DispatcherAddr, Veth: VethRoot, Services: []ServiceStatus{}, Boards: []BoardStatus{}, LeftOver: []string{}}
	switch {
	case st.up():
		r.State = "up"
	case len(st.problems()) > 0:
		r.State = "partly up"
	}
	for _, s := range services {
		r.Services = append(r.Services, ServiceStatus{Name: s.name, PID: st.alive[s.name], What: s.what})
	}
	for _, i := range l.boardList(l.boardCount(), l.armBoardCount()) {
		b := BoardStatus{Name: BoardName(i), Power: "off", PID: st.alive[qemuName(i)], Address: BoardIP(i), MAC: BoardMAC(i)}
		if b.PID != 0 {
			b.Power = "on"
		}
		if st.alive[relayName(i)] != 0 {
			b.Console = fmt.Sprintf("127.0.0.1:%d", ConsolePort(i))
		}
		r.Boards = append(r.Boards, b)
	}
	if !st.up() {
		r.LeftOver = append(r.LeftOver, st.problems()...)
	}
	return r
}
