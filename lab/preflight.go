package lab

import (
	"fmt"
	"net"
	"os/exec"
	"strings"
)

// subnetFree checks that no interface of the root namespace already has an
// address in the lab's subnet.
func subnetFree() error {
	_, lab, _ := net.ParseCIDR(Subnet)
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	for _, i := range ifs {
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && (lab.Contains(ipn.IP) || ipn.Contains(lab.IP)) {
				return fmt.Errorf("the lab's subnet %s is in use: interface %s has %s (remove it, or run 'lavacore lab down' if it is a lab's)", Subnet, i.Name, ipn)
			}
		}
	}
	return nil
}

// portFree checks that nothing listens on 127.0.0.1:port and names who does.
func portFree(port int) error {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err == nil {
		ln.Close()
		return nil
	}
	who := ""
	if out, e := exec.Command("ss", "-Hltnp", fmt.Sprintf("sport = :%d", port)).Output(); e == nil {
		if i := strings.Index(string(out), "users:"); i >= 0 {
			who = " by " + strings.TrimSpace(string(out[i:]))
		}
	}
	return fmt.Errorf("port 127.0.0.1:%d is in use%s: stop that program, or run 'lavacore lab down' if it is a stale lab's", port, who)
}
