package main

import (
	"fmt"
	"log"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

// guestOperations implements the guest operations of vSphere without Docker (the stock
// simulator needs a container per VM for them).
//
// TEST USE ONLY. Each VM gets a sandbox directory on this machine. Programs run on this
// machine as the simulator's user. Where the kernel allows it (root, or unprivileged user
// namespaces), each program runs in a private mount namespace in which the guest's writable
// directories (/tmp, /var/tmp, /home, /root) are the VM's sandbox; the rest of the file
// system is this machine's, and file transfers may write only to those directories. Without
// that isolation, guest paths are host paths and writes are allowed only inside the sandbox
// (use the guest's temporary files and directories, as robust automation does anyway).
type guestOperations struct {
	root     string // parent of the per-VM sandboxes
	user     string // required guest username (run always sets one; "" would accept any)
	password string
	isolated bool // programs run in a private mount namespace (see guest_exec.go)

	mu        sync.Mutex
	scheme    string
	procs     map[types.ManagedObjectReference]map[int64]*guestProcess
	transfers map[string]*transfer
	tempSeq   int
}

// guestWritableDirs are the guest directories that live in the VM's sandbox.
var guestWritableDirs = []string{"/tmp", "/var/tmp", "/home", "/root"}

const guestHome = "/root"

func newGuestOperations(root, user, password string, tools *toolsSimulator) *guestOperations {
	g := &guestOperations{
		root:      root,
		user:      user,
		password:  password,
		isolated:  canIsolate(),
		scheme:    "http",
		procs:     make(map[types.ManagedObjectReference]map[int64]*guestProcess),
		transfers: make(map[string]*transfer),
	}
	if !g.isolated {
		log.Printf("vmw-sim: no private mount namespaces here; guest paths are host paths, writable only inside %s", root)
	}
	tools.onGuestStop = g.guestStopped
	return g
}

func (g *guestOperations) setScheme(scheme string) {
	g.mu.Lock()
	g.scheme = scheme
	g.mu.Unlock()
}

// register puts this package's guest process and file managers in the registry, in place of
// the stock ones, at the references the service content names.
func (g *guestOperations) register() {
	content := reg.Get(serviceContent().GuestOperationsManager.Reference())
	gom := content.(*simulator.GuestOperationsManager)
	pm := &guestProcessManager{g: g}
	pm.Self = types.ManagedObjectReference{Type: "GuestProcessManager", Value: "guestOperationsProcessManager"}
	if gom.ProcessManager != nil {
		pm.Self = *gom.ProcessManager
	} else {
		gom.ProcessManager = &pm.Self
	}
	fm := &guestFileManager{g: g}
	fm.Self = types.ManagedObjectReference{Type: "GuestFileManager", Value: "guestOperationsFileManager"}
	if gom.FileManager != nil {
		fm.Self = *gom.FileManager
	} else {
		gom.FileManager = &fm.Self
	}
	reg.Put(pm)
	reg.Put(fm)
}

// makeGuestRoot returns the directory for the sandboxes and a function that removes it if
// this program made it.
func makeGuestRoot(dir string) (string, func(), error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", nil, err
		}
		abs, err := filepath.Abs(dir)
		return abs, func() {}, err
	}
	tmp, err := os.MkdirTemp("", "vmw-sim-guests-")
	if err != nil {
		return "", nil, err
	}
	return tmp, func() { _ = os.RemoveAll(tmp) }, nil
}

// sandbox returns the VM's sandbox directory, creating it and its guest directories.
func (g *guestOperations) sandbox(vm types.ManagedObjectReference) (string, error) {
	dir := filepath.Join(g.root, vm.Value)
	for _, d := range guestWritableDirs {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// guestRequest checks what vSphere checks before a guest operation and returns the VM.
func (g *guestOperations) guestRequest(ctx *simulator.Context, ref types.ManagedObjectReference,
	auth types.BaseGuestAuthentication) (*simulator.VirtualMachine, types.BaseMethodFault) {
	vm, ok := ctx.Map.Get(ref).(*simulator.VirtualMachine)
	if !ok {
		return nil, &types.ManagedObjectNotFound{Obj: ref}
	}
	var fault types.BaseMethodFault
	ctx.WithLock(vm, func() {
		switch {
		case vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn:
			fault = &types.InvalidPowerState{RequestedState: types.VirtualMachinePowerStatePoweredOn, ExistingState: vm.Runtime.PowerState}
		case vm.Guest == nil || vm.Guest.GuestOperationsReady == nil || !*vm.Guest.GuestOperationsReady:
			fault = new(types.GuestOperationsUnavailable)
		}
	})
	if fault != nil {
		return nil, fault
	}
	if fault := g.authenticate(auth); fault != nil {
		return nil, fault
	}
	return vm, nil
}

func (g *guestOperations) authenticate(auth types.BaseGuestAuthentication) types.BaseMethodFault {
	np, ok := auth.(*types.NamePasswordAuthentication)
	if !ok {
		return &types.NotSupported{}
	}
	if np.Username == "" || np.Password == "" {
		return new(types.InvalidGuestLogin)
	}
	if g.user != "" && (np.Username != g.user || np.Password != g.password) {
		return new(types.InvalidGuestLogin)
	}
	return nil
}

// hostPath maps a guest path to this machine's path. Writes are allowed in the guest's
// writable directories only (see guestOperations).
func (g *guestOperations) hostPath(vm types.ManagedObjectReference, guestPath string, write bool) (string, types.BaseMethodFault) {
	if !path.IsAbs(guestPath) {
		return "", &types.InvalidArgument{InvalidProperty: "path " + guestPath + " is not absolute"}
	}
	clean := path.Clean(guestPath)
	box, err := g.sandbox(vm)
	if err != nil {
		return "", &types.SystemError{Reason: err.Error()}
	}
	if g.isolated {
		for _, d := range guestWritableDirs {
			if clean == d || strings.HasPrefix(clean, d+"/") {
				return filepath.Join(box, clean), nil
			}
		}
	} else if clean == box || strings.HasPrefix(clean, box+"/") {
		return clean, nil
	}
	if write {
		return "", &types.GuestPermissionDenied{}
	}
	return clean, nil
}

// guestTempDir is the guest's default directory for temporary files.
func (g *guestOperations) guestTempDir(vm types.ManagedObjectReference) string {
	if g.isolated {
		return "/tmp"
	}
	box, _ := g.sandbox(vm)
	return filepath.Join(box, "tmp")
}

// guestHomeDir is the default working directory of guest programs, as on Linux guests.
func (g *guestOperations) guestHomeDir(vm types.ManagedObjectReference) string {
	if g.isolated {
		return guestHome
	}
	box, _ := g.sandbox(vm)
	return filepath.Join(box, guestHome)
}

// fileFault translates an error of this machine's file system into the fault vSphere gives.
func fileFault(guestPath string, err error) types.BaseMethodFault {
	switch {
	case os.IsNotExist(err):
		return &types.FileNotFound{FileFault: types.FileFault{File: guestPath}}
	case os.IsExist(err):
		return &types.FileAlreadyExists{FileFault: types.FileFault{File: guestPath}}
	case os.IsPermission(err):
		return &types.GuestPermissionDenied{}
	}
	return &types.SystemError{Reason: fmt.Sprintf("%s: %v", guestPath, err)}
}

// guestStopped is called when the VM's guest stops (power off, suspend, reset, reboot):
// its processes end with it.
func (g *guestOperations) guestStopped(vm types.ManagedObjectReference) {
	g.mu.Lock()
	procs := g.procs[vm]
	delete(g.procs, vm)
	g.mu.Unlock()
	for _, p := range procs {
		p.kill()
	}
}

// stopAll ends every guest program, when the simulator stops.
func (g *guestOperations) stopAll() {
	g.mu.Lock()
	vms := make([]types.ManagedObjectReference, 0, len(g.procs))
	for vm := range g.procs {
		vms = append(vms, vm)
	}
	g.mu.Unlock()
	for _, vm := range vms {
		g.guestStopped(vm)
	}
}

func (g *guestOperations) nextTempName(prefix, suffix string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.tempSeq++
	return fmt.Sprintf("%s%d%06d%s", prefix, time.Now().UnixNano()%1e6, g.tempSeq, suffix)
}
