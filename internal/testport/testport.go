// Package testport picks loopback ports for the real servers tests start
// (ClickHouse, ZooKeeper, PostgreSQL), which are given a port number
// rather than listening on :0 themselves.
package testport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
)

// Free returns a loopback port free at the time of asking, below the
// kernel's ephemeral range when it can. A port from the ephemeral range
// (what listening on :0 gives) may, before the server given it binds it,
// become the local end of an outgoing connection — a started server's to
// ZooKeeper or a replica, another test's client — and the server then
// fails with "Address already in use" (a full run saw it: a cluster's
// ports are all chosen before its servers start one after the other).
func Free() (int, error) {
	low := ephemeralLow()
	for range 100 {
		p := 10000 + rand.IntN(low-10000)
		if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err == nil {
			l.Close()
			return p, nil
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ephemeralLow is the first port of the kernel's ephemeral range
// (32768 when it cannot be read or is under 20000).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	var low, high int
	if _, err := fmt.Sscan(string(b), &low, &high); err != nil || low < 20000 {
		return 32768
	}
	return low
}
