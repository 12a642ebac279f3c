package main

import (
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// guestProcessManager answers the GuestProcessManager methods in place of the stock one,
// which needs Docker.
type guestProcessManager struct {
	mo.GuestProcessManager
	g *guestOperations
}

// guestProcess is a program started in a guest; its info is guarded by guestOperations.mu.
type guestProcess struct {
	info types.GuestProcessInfo
	cmd  *exec.Cmd
	done bool
}

func (p *guestProcess) kill() {
	// The program runs in a process group of its own, so its children end too.
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
}

// guestPath is the search path of guest programs.
const guestPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

func (g *guestOperations) environment(vm types.ManagedObjectReference, user string, extra []string) []string {
	return append([]string{
		"PATH=" + guestPath,
		"HOME=" + g.guestHomeDir(vm),
		"TMPDIR=" + g.guestTempDir(vm),
		"USER=" + user,
		"LOGNAME=" + user,
		"LANG=C.UTF-8",
	}, extra...)
}

// start runs "programPath arguments" through the guest's shell, as VMware Tools does on
// Linux guests (so redirections in the arguments work), with the program path quoted.
func (g *guestOperations) start(vm types.ManagedObjectReference, spec *types.GuestProgramSpec, user string) (int64, types.BaseMethodFault) {
	program, fault := g.hostPath(vm, spec.ProgramPath, false)
	if fault != nil {
		return 0, fault
	}
	if st, err := os.Stat(program); err != nil {
		return 0, fileFault(spec.ProgramPath, err)
	} else if st.IsDir() {
		return 0, &types.NotAFile{FileFault: types.FileFault{File: spec.ProgramPath}}
	}
	cwd := spec.WorkingDirectory
	if cwd == "" {
		cwd = g.guestHomeDir(vm)
	}
	hostCwd, fault := g.hostPath(vm, cwd, false)
	if fault != nil {
		return 0, fault
	}
	if st, err := os.Stat(hostCwd); err != nil {
		return 0, fileFault(cwd, err)
	} else if !st.IsDir() {
		return 0, &types.NotADirectory{FileFault: types.FileFault{File: cwd}}
	}
	box, err := g.sandbox(vm)
	if err != nil {
		return 0, &types.SystemError{Reason: err.Error()}
	}
	command := shellQuote(spec.ProgramPath) + " " + spec.Arguments
	cmd, err := g.command(box, cwd, command)
	if err != nil {
		return 0, &types.SystemError{Reason: err.Error()}
	}
	cmd.Env = g.environment(vm, user, spec.EnvVariables)
	if err := cmd.Start(); err != nil {
		return 0, &types.SystemError{Reason: err.Error()}
	}
	p := &guestProcess{cmd: cmd, info: types.GuestProcessInfo{
		Name:      path.Base(spec.ProgramPath),
		Pid:       int64(cmd.Process.Pid),
		Owner:     user,
		CmdLine:   command,
		StartTime: time.Now(),
	}}
	g.mu.Lock()
	if g.procs[vm] == nil {
		g.procs[vm] = make(map[int64]*guestProcess)
	}
	g.procs[vm][p.info.Pid] = p
	g.mu.Unlock()
	go g.reap(p)
	return p.info.Pid, nil
}

// reap waits for the program and records how it ended, as the guest reports it.
func (g *guestOperations) reap(p *guestProcess) {
	_ = p.cmd.Wait()
	code := int32(p.cmd.ProcessState.ExitCode())
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code = 128 + int32(ws.Signal()) // what a shell reports for a program killed by a signal
	}
	end := time.Now()
	g.mu.Lock()
	p.info.EndTime = &end
	p.info.ExitCode = code
	p.done = true
	g.mu.Unlock()
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func guestUser(auth types.BaseGuestAuthentication) string {
	if np, ok := auth.(*types.NamePasswordAuthentication); ok {
		return np.Username
	}
	return ""
}

func (m *guestProcessManager) StartProgramInGuest(ctx *simulator.Context, req *types.StartProgramInGuest) soap.HasFault {
	body := new(methods.StartProgramInGuestBody)
	vm, fault := m.g.guestRequest(ctx, req.Vm, req.Auth)
	if fault == nil {
		var pid int64
		pid, fault = m.g.start(vm.Self, req.Spec.GetGuestProgramSpec(), guestUser(req.Auth))
		body.Res = &types.StartProgramInGuestResponse{Returnval: pid}
	}
	if fault != nil {
		body.Res, body.Fault_ = nil, guestFault(fault)
	}
	return body
}

func (m *guestProcessManager) ListProcessesInGuest(ctx *simulator.Context, req *types.ListProcessesInGuest) soap.HasFault {
	if _, fault := m.g.guestRequest(ctx, req.Vm, req.Auth); fault != nil {
		return &listProcessesBody{Fault_: guestFault(fault)}
	}
	wanted := make(map[int64]bool, len(req.Pids))
	for _, pid := range req.Pids {
		wanted[pid] = true
	}
	var infos []processInfo
	m.g.mu.Lock()
	for pid, p := range m.g.procs[req.Vm] {
		if len(wanted) == 0 || wanted[pid] {
			infos = append(infos, newProcessInfo(p))
		}
	}
	m.g.mu.Unlock()
	sort.Slice(infos, func(i, j int) bool { return infos[i].Pid < infos[j].Pid })
	return &listProcessesBody{Res: &ListProcessesInGuestResponse{Returnval: infos}}
}

// processInfo is types.GuestProcessInfo as vSphere sends it: govmomi's type omits an exit
// code of 0, which makes a program that succeeded look as if it had no exit code at all.
type processInfo struct {
	Name      string     `xml:"name"`
	Pid       int64      `xml:"pid"`
	Owner     string     `xml:"owner"`
	CmdLine   string     `xml:"cmdLine"`
	StartTime time.Time  `xml:"startTime"`
	EndTime   *time.Time `xml:"endTime,omitempty"`
	ExitCode  *int32     `xml:"exitCode,omitempty"`
}

func newProcessInfo(p *guestProcess) processInfo {
	info := processInfo{Name: p.info.Name, Pid: p.info.Pid, Owner: p.info.Owner,
		CmdLine: p.info.CmdLine, StartTime: p.info.StartTime, EndTime: p.info.EndTime}
	if p.done {
		code := p.info.ExitCode
		info.ExitCode = &code
	}
	return info
}

// ListProcessesInGuestResponse is named as the SOAP element it becomes (the simulator names
// response elements after their Go type).
type ListProcessesInGuestResponse struct {
	Returnval []processInfo `xml:"returnval,omitempty"`
}

type listProcessesBody struct {
	Res    *ListProcessesInGuestResponse `xml:"ListProcessesInGuestResponse,omitempty"`
	Fault_ *soap.Fault                   `xml:"http://schemas.xmlsoap.org/soap/envelope/ Fault,omitempty"`
}

func (b *listProcessesBody) Fault() *soap.Fault { return b.Fault_ }

func (m *guestProcessManager) TerminateProcessInGuest(ctx *simulator.Context, req *types.TerminateProcessInGuest) soap.HasFault {
	body := new(methods.TerminateProcessInGuestBody)
	if _, fault := m.g.guestRequest(ctx, req.Vm, req.Auth); fault != nil {
		body.Fault_ = guestFault(fault)
		return body
	}
	m.g.mu.Lock()
	p, ok := m.g.procs[req.Vm][req.Pid]
	running := ok && !p.done
	m.g.mu.Unlock()
	if !running {
		body.Fault_ = guestFault(&types.GuestProcessNotFound{Pid: req.Pid})
		return body
	}
	p.kill()
	body.Res = new(types.TerminateProcessInGuestResponse)
	return body
}

func (m *guestProcessManager) ReadEnvironmentVariableInGuest(ctx *simulator.Context, req *types.ReadEnvironmentVariableInGuest) soap.HasFault {
	body := new(methods.ReadEnvironmentVariableInGuestBody)
	if _, fault := m.g.guestRequest(ctx, req.Vm, req.Auth); fault != nil {
		body.Fault_ = guestFault(fault)
		return body
	}
	var out []string
	for _, kv := range m.g.environment(req.Vm, guestUser(req.Auth), nil) {
		name := strings.SplitN(kv, "=", 2)[0]
		if len(req.Names) == 0 || contains(req.Names, name) {
			out = append(out, kv)
		}
	}
	body.Res = &types.ReadEnvironmentVariableInGuestResponse{Returnval: out}
	return body
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
