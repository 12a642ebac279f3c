package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// guestExecCommand is the hidden first argument with which this program re-executes itself to
// run a guest program: the child enters a private mount namespace (set up by the kernel at
// clone time), binds the VM's sandbox over the guest's writable directories there, and then
// becomes the guest's shell. Go cannot run code between fork and exec, hence the re-execution.
const guestExecCommand = "__vmw-sim-guest-exec"

// namespaceAttr starts a child in a private mount namespace, in its own process group. Without
// root, it also needs a user namespace in which it is root, to be allowed to mount.
func namespaceAttr() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS, Setpgid: true}
	if os.Geteuid() != 0 {
		attr.Cloneflags |= syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Geteuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getegid(), Size: 1}}
		attr.GidMappingsEnableSetgroups = false
	}
	return attr
}

// canIsolate tells whether this machine lets us make private mount namespaces, by trying.
func canIsolate() bool {
	self, err := os.Executable()
	if err != nil {
		return false
	}
	cmd := exec.Command(self, guestExecCommand, "--probe")
	cmd.SysProcAttr = namespaceAttr()
	return cmd.Run() == nil
}

// command prepares the guest's shell to run command in the guest directory cwd.
func (g *guestOperations) command(sandbox, cwd, command string) (*exec.Cmd, error) {
	if !g.isolated {
		cmd := exec.Command("/bin/sh", "-c", command)
		cmd.Dir = cwd
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		return cmd, nil
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, guestExecCommand, sandbox, cwd, command)
	cmd.SysProcAttr = namespaceAttr()
	return cmd, nil
}

// guestExecMain runs in the child: "--probe", or SANDBOX CWD COMMAND.
func guestExecMain(args []string) {
	if len(args) == 1 && args[0] == "--probe" {
		dir := os.TempDir()
		if err := privateMounts(); err != nil {
			os.Exit(1)
		}
		if err := syscall.Mount(dir, dir, "", syscall.MS_BIND, ""); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	if len(args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: vmw-sim", guestExecCommand, "SANDBOX CWD COMMAND")
		os.Exit(2)
	}
	sandbox, cwd, command := args[0], args[1], args[2]
	if err := privateMounts(); err != nil {
		fail(err)
	}
	// Open every sandbox directory before mounting any: the sandbox may itself lie under one
	// of the directories covered (it usually does, in /tmp), and would vanish from view.
	sources := make(map[string]*os.File)
	for _, d := range guestWritableDirs {
		if _, err := os.Stat(d); err != nil {
			continue // this machine has no such directory to cover
		}
		f, err := os.Open(filepath.Join(sandbox, d))
		if err != nil {
			fail(err)
		}
		sources[d] = f
	}
	for d, f := range sources {
		src := fmt.Sprintf("/proc/self/fd/%d", f.Fd())
		if err := syscall.Mount(src, d, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
			fail(fmt.Errorf("binding the guest's %s: %v", d, err))
		}
		f.Close()
	}
	if err := os.Chdir(cwd); err != nil {
		fail(err)
	}
	fail(syscall.Exec("/bin/sh", []string{"sh", "-c", command}, os.Environ()))
}

// privateMounts keeps the mounts made in this namespace from propagating to the host's.
func privateMounts() error {
	return syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, "")
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "vmw-sim guest:", err)
	os.Exit(126)
}
