// Command vmw-sim is the vCenter simulator that python-vmware-wrapper is tested against.
//
// It is VMware's govmomi simulator (vcsim) with the extensions a realistic test needs and the
// stock simulator lacks: guest shutdown and reboot that take effect after a delay, VMware Tools
// that stop and start with the guest, guest operations without Docker, and fault injection.
// See the README in this folder for what each flag and extension does.
//
// TEST USE ONLY: guest operations run programs on this machine, as the user running the
// simulator. Never expose it beyond loopback; it refuses other listen addresses.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"

	// Registers the vAPI REST endpoints (tagging) with the simulator.
	_ "github.com/vmware/govmomi/vapi/simulator"
)

// options holds everything the command line configures.
type options struct {
	listen     string
	load       string
	apiVersion string

	datacenters    int
	clusters       int
	clusterHosts   int
	standaloneHost int
	vmsPerPool     int
	folders        int
	pools          int
	datastores     int
	portgroups     int

	tls                bool
	username, password string
	sessionIdleTimeout time.Duration
	httpIdleTimeout    time.Duration

	toolsDelay    time.Duration
	guestDelay    time.Duration
	guestUser     string
	guestPassword string
	guestRoot     string
	trace         bool
}

const usageHeader = `vmw-sim: a vCenter simulator for testing python-vmware-wrapper and code built on it.

  *** TEST USE ONLY ***  Guest operations (StartProgramInGuest and file transfers) act on
  THIS machine, as the user running the simulator, inside a per-VM sandbox directory. Anyone
  who can reach the simulator can run programs here. It only listens on loopback.

  What needs a secret, and what does not:
    - guest operations need the guest username and password: -guest-username and
      -guest-password, or else "vmw-guest" and a random password made at start
      (guest_username and guest_password in the ready line);
    - the control endpoint (fault injection, latency) needs the random token made at start
      (control_token in the ready line), sent as "Authorization: Bearer TOKEN" or in an
      X-Vmw-Sim-Token header;
    - datastore files over /folder need a logged-in session's cookie, as on vCenter;
    - logging in (SOAP and vAPI REST) needs none unless -username and -password are
      given: without them ANY non-empty username and password log in, as with VMware's
      vcsim. Give -username and -password to require that pair.

On start it prints one JSON line (url, pid, host, port, ...) once it accepts connections,
and it exits cleanly on SIGTERM or SIGINT.

Flags:
`

func parseFlags(args []string) (*options, error) {
	o := new(options)
	fs := flag.NewFlagSet("vmw-sim", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageHeader)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.listen, "listen", "127.0.0.1:0", "loopback address to listen on; port 0 picks a free port")
	fs.StringVar(&o.load, "load", "", "load an inventory saved with 'govc object.save' from this directory instead of generating one")
	fs.StringVar(&o.apiVersion, "api-version", "", "the vSphere API version to pass for, one of "+releaseNames()+" (default "+defaultAPIVersion+"; with -load, the recording's own)")
	fs.IntVar(&o.datacenters, "dc", 1, "number of datacenters")
	fs.IntVar(&o.clusters, "cluster", 1, "number of clusters per datacenter")
	fs.IntVar(&o.clusterHosts, "host", 3, "number of hosts per cluster")
	fs.IntVar(&o.standaloneHost, "standalone-host", 1, "number of standalone hosts per datacenter")
	fs.IntVar(&o.vmsPerPool, "vm", 2, "number of virtual machines per standalone host and per cluster (in its root resource pool)")
	fs.IntVar(&o.folders, "folder", 0, "number of folders to put datacenters (and their children) in")
	fs.IntVar(&o.pools, "pool", 0, "number of child resource pools per cluster (empty)")
	fs.IntVar(&o.datastores, "ds", 1, "number of datastores")
	fs.IntVar(&o.portgroups, "pg", 1, "number of distributed port groups per datacenter")
	fs.BoolVar(&o.tls, "tls", false, "serve https with a self-signed certificate made at start (its thumbprints are in the ready line)")
	fs.StringVar(&o.username, "username", "", "enforce this username (with -password); without them any non-empty username and password log in")
	fs.StringVar(&o.password, "password", "", "enforce this password (with -username)")
	fs.DurationVar(&o.sessionIdleTimeout, "session-idle-timeout", 0, "expire sessions idle for this long (0: never)")
	fs.DurationVar(&o.httpIdleTimeout, "http-idle-timeout", 0, "close client connections idle for this long, as proxies and load balancers do (0: never)")
	fs.DurationVar(&o.toolsDelay, "tools-delay", 500*time.Millisecond, "how long VMware Tools take to start after a power-on or reboot")
	fs.DurationVar(&o.guestDelay, "guest-delay", 200*time.Millisecond, "how long a guest takes to act on a shutdown or reboot request")
	fs.StringVar(&o.guestUser, "guest-username", "", "require this guest username (with -guest-password); without them \""+defaultGuestUser+"\" and a random password made at start are required (both in the ready line)")
	fs.StringVar(&o.guestPassword, "guest-password", "", "require this guest password (with -guest-username)")
	fs.StringVar(&o.guestRoot, "guest-root", "", "directory for the per-VM guest sandboxes (default: a temporary directory removed on exit)")
	fs.BoolVar(&o.trace, "trace", false, "write SOAP traffic to stderr")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if (o.username == "") != (o.password == "") {
		return nil, fmt.Errorf("-username and -password go together")
	}
	if (o.guestUser == "") != (o.guestPassword == "") {
		return nil, fmt.Errorf("-guest-username and -guest-password go together")
	}
	if err := requireLoopback(o.listen); err != nil {
		return nil, err
	}
	if o.load != "" {
		if err := checkRecording(o.load); err != nil {
			return nil, err
		}
	}
	for name, n := range map[string]int{"vm": o.vmsPerPool, "dc": o.datacenters, "cluster": o.clusters, "host": o.clusterHosts, "standalone-host": o.standaloneHost, "folder": o.folders, "pool": o.pools, "ds": o.datastores, "pg": o.portgroups} {
		if n < 0 {
			return nil, fmt.Errorf("-%s=%d: a count, 0 or more", name, n)
		}
	}
	if o.apiVersion == "" && o.load == "" {
		o.apiVersion = defaultAPIVersion
	}
	if o.apiVersion != "" {
		if err := setRelease(new(types.AboutInfo), o.apiVersion); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// checkRecording refuses a directory that 'govc object.save' did not write: loading one
// would fail deep inside the model (with a panic for some layouts) instead of saying why.
func checkRecording(dir string) error {
	matches, err := filepath.Glob(filepath.Join(dir, "*-ServiceInstance-ServiceInstance.xml"))
	if err != nil || len(matches) == 0 {
		return fmt.Errorf("-load=%s: not an inventory saved with 'govc object.save' (no *-ServiceInstance-ServiceInstance.xml)", dir)
	}
	return nil
}

// requireLoopback refuses any listen address other than a loopback one: guest operations run
// programs on this machine, so the simulator must never be reachable from elsewhere.
func requireLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-listen %q: %v", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("-listen %q: only loopback addresses are allowed (127.0.0.1, ::1, localhost)", addr)
	}
	return nil
}

// readyLine is printed once, as JSON, when the simulator accepts connections.
type readyLine struct {
	URL              string `json:"url"`
	PID              int    `json:"pid"`
	Host             string `json:"host"`
	Port             int    `json:"port"`
	Protocol         string `json:"protocol"`
	Username         string `json:"username"`
	ControlURL       string `json:"control_url"`
	ThumbprintSHA1   string `json:"thumbprint_sha1,omitempty"`
	ThumbprintSHA256 string `json:"thumbprint_sha256,omitempty"`
	CertificatePEM   string `json:"certificate_pem,omitempty"`
	GuestRoot        string `json:"guest_root"`
	GuestIsolation   bool   `json:"guest_isolation"`
	VMs              int    `json:"vms"`
	GuestUsername    string `json:"guest_username"`
	GuestPassword    string `json:"guest_password"`
	ControlToken     string `json:"control_token"`
}

func main() {
	// The guest sandbox re-executes this program to set up a private mount namespace
	// before it runs a guest program (see guest_exec.go).
	if len(os.Args) > 1 && os.Args[1] == guestExecCommand {
		guestExecMain(os.Args[2:])
		return
	}
	o, err := parseFlags(os.Args[1:])
	if err == flag.ErrHelp {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vmw-sim:", err)
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "vmw-sim:", err)
		os.Exit(1)
	}
}

func newModel(o *options) (*simulator.Model, error) {
	model := simulator.VPX()
	if o.load != "" {
		if err := model.Load(o.load); err != nil {
			return nil, fmt.Errorf("loading %s: %v", o.load, err)
		}
		if o.apiVersion != "" {
			// A recording brings its own service content: say the release there.
			instance := model.Map().Get(vim25.ServiceInstance).(*simulator.ServiceInstance)
			_ = setRelease(&instance.Content.About, o.apiVersion)
		}
		return model, nil
	}
	_ = setRelease(&model.ServiceContent.About, o.apiVersion)
	model.Datacenter = o.datacenters
	model.Cluster = o.clusters
	model.ClusterHost = o.clusterHosts
	model.Host = o.standaloneHost
	model.Machine = o.vmsPerPool
	if o.vmsPerPool > populateAbove {
		model.Machine = 1 // the others are made by populate, many at a time
	}
	model.Folder = o.folders
	model.Pool = o.pools
	model.Datastore = o.datastores
	model.Portgroup = o.portgroups
	if err := model.Create(); err != nil {
		return nil, fmt.Errorf("creating the inventory: %v", err)
	}
	if o.vmsPerPool > populateAbove {
		reg = model.Map()
		if err := populate(model, o.vmsPerPool); err != nil {
			return nil, fmt.Errorf("creating the inventory: %v", err)
		}
	}
	return model, nil
}

func run(o *options) error {
	simulator.Trace = o.trace

	model, err := newModel(o)
	if err != nil {
		return err
	}
	defer model.Remove()
	reg = model.Map()
	giveIdentities(o.load == "") // uuids and MAC addresses as vCenter gives them (identity.go)
	labelAllDevices()            // device labels as vCenter gives them (device_labels.go)
	if o.sessionIdleTimeout > 0 {
		setSessionTimeout(o.sessionIdleTimeout)
	}

	guestRoot, removeRoot, err := makeGuestRoot(o.guestRoot)
	if err != nil {
		return err
	}
	defer removeRoot()

	listen := &url.URL{Host: o.listen}
	if o.username != "" {
		listen.User = url.UserPassword(o.username, o.password)
	}
	model.Service.Listen = listen
	model.Service.RegisterEndpoints = true

	var cert *selfSignedCert
	if o.tls {
		cert, err = newSelfSignedCert()
		if err != nil {
			return err
		}
		model.Service.TLS = cert.tlsConfig()
	}

	// An in-process client with the simulator's internal session, for effects that happen
	// later on the simulator's own initiative (a guest acting on a shutdown request).
	internal, err := vim25.NewClient(context.Background(), model.Service)
	if err != nil {
		return err
	}

	ext := &extensions{
		control:  newControl(o.toolsDelay, o.guestDelay),
		internal: internal,
		own:      &ownSession{username: o.username, password: o.password},
		calls:    newSessionCalls(),
	}
	if o.username == "" {
		ext.own.username = simulator.DefaultLogin.Username()
		ext.own.password, _ = simulator.DefaultLogin.Password()
	}
	ext.tools = newToolsSimulator(ext.control)
	// Guest programs run on this machine as our user: never without credentials that only
	// whoever started us can know.
	if o.guestUser == "" {
		o.guestUser, o.guestPassword = defaultGuestUser, newSecret()
	}
	ext.control.token = newSecret()
	ext.guest = newGuestOperations(guestRoot, o.guestUser, o.guestPassword, ext.tools)
	ext.guest.register()
	vms := ext.tools.start()
	reg.AddHandler(taskMessages{})
	installVMDefaults()
	installVsanSystems()
	installUplinkFlags()
	installHostNetworkSystems() // see networks.go
	reg.Handler = beforeDispatch

	server := model.Service.NewServer()
	// Not server.Close(): it waits for every request in progress, and an update wait can
	// last minutes. Stopping means stopping: drop the connections and go.
	defer server.CloseClientConnections()

	u := *server.URL
	u.User = nil
	ext.guest.setScheme(u.Scheme)
	// Wrap the running server's handler before anyone knows its address: the middleware
	// answers the methods the simulator lacks and injects faults and latency by method name.
	server.Config.Handler = ext.middleware(server.Config.Handler)
	server.Config.IdleTimeout = o.httpIdleTimeout

	port, _ := strconv.Atoi(u.Port())
	username := o.username
	if username == "" {
		username = simulator.DefaultLogin.Username()
	}
	ready := readyLine{
		URL:            u.String(),
		PID:            os.Getpid(),
		Host:           u.Hostname(),
		Port:           port,
		Protocol:       u.Scheme,
		Username:       username,
		ControlURL:     (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: controlPath}).String(),
		GuestRoot:      guestRoot,
		GuestIsolation: ext.guest.isolated,
		VMs:            vms,
		GuestUsername:  o.guestUser,
		GuestPassword:  o.guestPassword,
		ControlToken:   ext.control.token,
	}
	if cert != nil {
		ready.ThumbprintSHA1 = cert.sha1
		ready.ThumbprintSHA256 = cert.sha256
		ready.CertificatePEM = cert.pem
	}
	// Listen for the signals to stop before telling anyone where we are: a client may stop
	// us as soon as it has read the ready line.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	line, _ := json.Marshal(ready)
	fmt.Println(string(line))

	sig := <-stop
	log.Printf("vmw-sim: %s received, stopping", sig)
	ext.guest.stopAll()
	return nil
}
