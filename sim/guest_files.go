package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// guestTransferPath serves the URLs that InitiateFileTransfer{To,From}Guest hand out. The
// guest file manager makes them with the host "*"; the middleware puts in the address the
// client reached (see placeTransferHost) before they leave.
const guestTransferPath = "/guestFile"

// transferMethods are the methods whose answers carry a transfer URL.
var transferMethods = map[string]bool{
	"InitiateFileTransferToGuest":   true,
	"InitiateFileTransferFromGuest": true,
}

// safeHost matches a Host header that can go into a URL as it is: a name or address, and a port.
var safeHost = regexp.MustCompile(`^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(:[0-9]+)?$`)

// placeTransferHost names, in the transfer URL of an answer, the host and port that the client
// reached (r.Host). vCenter's URL names the ESXi host that runs the VM, with its port
// ("https://esx01.example.com:443/guestFile?..."), and clients use it as it is (govc, scripts
// that hand it to an HTTP library); an ESXi host's names "*" and the port ("https://*:443/...")
// and clients put in the host they reached, keeping the port (Ansible's
// vmware_guest_file_operation replaces "*" with its hostname). The simulator is that host: its
// own address serves both kinds of client, and a "*" with no port sent the second kind to 443.
// Without a usable Host header it names "*" and the port it was reached on.
func placeTransferHost(body []byte, r *http.Request) []byte {
	host := r.Host
	if !safeHost.MatchString(host) {
		host = "*"
		if addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
			if _, port, err := net.SplitHostPort(addr.String()); err == nil {
				host = "*:" + port
			}
		}
	}
	return bytes.ReplaceAll(body, []byte("://*"+guestTransferPath+"?"), []byte("://"+host+guestTransferPath+"?"))
}

// transferLifetime is how long a transfer URL may be used (once).
const transferLifetime = 10 * time.Minute

type transfer struct {
	hostPath string
	upload   bool
	expires  time.Time
}

// guestFileManager answers the GuestFileManager methods in place of the stock one, which
// needs Docker.
type guestFileManager struct {
	mo.GuestFileManager
	g *guestOperations
}

func (g *guestOperations) newTransfer(t *transfer) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)
	t.expires = time.Now().Add(transferLifetime)
	g.mu.Lock()
	defer g.mu.Unlock()
	for k, old := range g.transfers {
		if time.Now().After(old.expires) {
			delete(g.transfers, k)
		}
	}
	g.transfers[token] = t
	return (&url.URL{Scheme: g.scheme, Host: "*", Path: guestTransferPath,
		RawQuery: url.Values{"token": {token}}.Encode()}).String()
}

// takeTransfer returns the transfer of a token, which can be used once.
func (g *guestOperations) takeTransfer(token string) (*transfer, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, ok := g.transfers[token]
	delete(g.transfers, token)
	if !ok || time.Now().After(t.expires) {
		return nil, false
	}
	return t, true
}

// serveTransfer streams a file to (PUT) or from (GET) a guest.
func (g *guestOperations) serveTransfer(w http.ResponseWriter, r *http.Request) {
	t, ok := g.takeTransfer(r.URL.Query().Get("token"))
	if !ok {
		http.Error(w, "unknown or expired transfer", http.StatusNotFound)
		return
	}
	switch {
	case t.upload && (r.Method == http.MethodPut || r.Method == http.MethodPost):
		if err := writeAtomically(t.hostPath, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	case !t.upload && r.Method == http.MethodGet:
		f, err := os.Open(t.hostPath)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		http.ServeContent(w, r, "", st.ModTime(), f)
	default:
		http.Error(w, "wrong method for this transfer", http.StatusMethodNotAllowed)
	}
}

// writeAtomically streams src into a temporary file beside dst, then renames it over dst,
// so that a failed upload leaves no half-written file behind.
func writeAtomically(dst string, src io.Reader) error {
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".upload-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, src); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

func posixAttributes(st os.FileInfo) *types.GuestPosixFileAttributes {
	mtime := st.ModTime()
	return &types.GuestPosixFileAttributes{
		GuestFileAttributes: types.GuestFileAttributes{ModificationTime: &mtime, AccessTime: &mtime},
		Permissions:         int64(st.Mode().Perm()),
	}
}

func (m *guestFileManager) InitiateFileTransferToGuest(ctx *simulator.Context, req *types.InitiateFileTransferToGuest) soap.HasFault {
	body := new(methods.InitiateFileTransferToGuestBody)
	fault := func() types.BaseMethodFault {
		vm, fault := m.g.guestRequest(ctx, req.Vm, req.Auth)
		if fault != nil {
			return fault
		}
		hp, fault := m.g.hostPath(vm.Self, req.GuestFilePath, true)
		if fault != nil {
			return fault
		}
		if st, err := os.Stat(filepath.Dir(hp)); err != nil {
			return fileFault(path.Dir(req.GuestFilePath), err)
		} else if !st.IsDir() {
			return &types.NotADirectory{FileFault: types.FileFault{File: path.Dir(req.GuestFilePath)}}
		}
		if st, err := os.Stat(hp); err == nil {
			if st.IsDir() {
				return &types.NotAFile{FileFault: types.FileFault{File: req.GuestFilePath}}
			}
			if !req.Overwrite {
				return &types.FileAlreadyExists{FileFault: types.FileFault{File: req.GuestFilePath}}
			}
		}
		body.Res = &types.InitiateFileTransferToGuestResponse{
			Returnval: m.g.newTransfer(&transfer{hostPath: hp, upload: true}),
		}
		return nil
	}()
	if fault != nil {
		body.Res, body.Fault_ = nil, guestFault(fault)
	}
	return body
}

func (m *guestFileManager) InitiateFileTransferFromGuest(ctx *simulator.Context, req *types.InitiateFileTransferFromGuest) soap.HasFault {
	body := new(methods.InitiateFileTransferFromGuestBody)
	fault := func() types.BaseMethodFault {
		vm, fault := m.g.guestRequest(ctx, req.Vm, req.Auth)
		if fault != nil {
			return fault
		}
		hp, fault := m.g.hostPath(vm.Self, req.GuestFilePath, false)
		if fault != nil {
			return fault
		}
		st, err := os.Stat(hp)
		if err != nil {
			return fileFault(req.GuestFilePath, err)
		}
		if st.IsDir() {
			return &types.NotAFile{FileFault: types.FileFault{File: req.GuestFilePath}}
		}
		body.Res = &types.InitiateFileTransferFromGuestResponse{Returnval: types.FileTransferInformation{
			Attributes: posixAttributes(st),
			Size:       st.Size(),
			Url:        m.g.newTransfer(&transfer{hostPath: hp}),
		}}
		return nil
	}()
	if fault != nil {
		body.Res, body.Fault_ = nil, guestFault(fault)
	}
	return body
}

// writablePath checks the request and maps a guest path that the operation will change.
func (m *guestFileManager) writablePath(ctx *simulator.Context, vm types.ManagedObjectReference,
	auth types.BaseGuestAuthentication, guestPath string) (string, types.BaseMethodFault) {
	if _, fault := m.g.guestRequest(ctx, vm, auth); fault != nil {
		return "", fault
	}
	return m.g.hostPath(vm, guestPath, true)
}

func (m *guestFileManager) MakeDirectoryInGuest(ctx *simulator.Context, req *types.MakeDirectoryInGuest) soap.HasFault {
	body := new(methods.MakeDirectoryInGuestBody)
	hp, fault := m.writablePath(ctx, req.Vm, req.Auth, req.DirectoryPath)
	if fault == nil {
		var err error
		if req.CreateParentDirectories {
			err = os.MkdirAll(hp, 0o755)
		} else {
			err = os.Mkdir(hp, 0o755)
		}
		if err != nil {
			fault = fileFault(req.DirectoryPath, err)
		}
	}
	if fault != nil {
		body.Fault_ = guestFault(fault)
	} else {
		body.Res = new(types.MakeDirectoryInGuestResponse)
	}
	return body
}

func (m *guestFileManager) DeleteFileInGuest(ctx *simulator.Context, req *types.DeleteFileInGuest) soap.HasFault {
	body := new(methods.DeleteFileInGuestBody)
	hp, fault := m.writablePath(ctx, req.Vm, req.Auth, req.FilePath)
	if fault == nil {
		if st, err := os.Lstat(hp); err != nil {
			fault = fileFault(req.FilePath, err)
		} else if st.IsDir() {
			fault = &types.NotAFile{FileFault: types.FileFault{File: req.FilePath}}
		} else if err := os.Remove(hp); err != nil {
			fault = fileFault(req.FilePath, err)
		}
	}
	if fault != nil {
		body.Fault_ = guestFault(fault)
	} else {
		body.Res = new(types.DeleteFileInGuestResponse)
	}
	return body
}

func (m *guestFileManager) DeleteDirectoryInGuest(ctx *simulator.Context, req *types.DeleteDirectoryInGuest) soap.HasFault {
	body := new(methods.DeleteDirectoryInGuestBody)
	hp, fault := m.writablePath(ctx, req.Vm, req.Auth, req.DirectoryPath)
	if fault == nil {
		fault = removeDirectory(hp, req.DirectoryPath, req.Recursive)
	}
	if fault != nil {
		body.Fault_ = guestFault(fault)
	} else {
		body.Res = new(types.DeleteDirectoryInGuestResponse)
	}
	return body
}

func removeDirectory(hostPath, guestPath string, recursive bool) types.BaseMethodFault {
	st, err := os.Lstat(hostPath)
	if err != nil {
		return fileFault(guestPath, err)
	}
	if !st.IsDir() {
		return &types.NotADirectory{FileFault: types.FileFault{File: guestPath}}
	}
	if recursive {
		err = os.RemoveAll(hostPath)
	} else if entries, _ := os.ReadDir(hostPath); len(entries) > 0 {
		return &types.DirectoryNotEmpty{FileFault: types.FileFault{File: guestPath}}
	} else {
		err = os.Remove(hostPath)
	}
	if err != nil {
		return fileFault(guestPath, err)
	}
	return nil
}

// createTemporary makes a new file or directory with a fresh name and returns its guest path.
func (m *guestFileManager) createTemporary(ctx *simulator.Context, vm types.ManagedObjectReference,
	auth types.BaseGuestAuthentication, prefix, suffix, dir string, makeDir bool) (string, types.BaseMethodFault) {
	if dir == "" {
		dir = m.g.guestTempDir(vm)
	}
	guestPath := path.Join(dir, m.g.nextTempName(prefix, suffix))
	hp, fault := m.writablePath(ctx, vm, auth, guestPath)
	if fault != nil {
		return "", fault
	}
	var err error
	if makeDir {
		err = os.Mkdir(hp, 0o700)
	} else {
		var f *os.File
		if f, err = os.OpenFile(hp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600); err == nil {
			err = f.Close()
		}
	}
	if err != nil {
		return "", fileFault(guestPath, err)
	}
	return guestPath, nil
}

func (m *guestFileManager) CreateTemporaryFileInGuest(ctx *simulator.Context, req *types.CreateTemporaryFileInGuest) soap.HasFault {
	body := new(methods.CreateTemporaryFileInGuestBody)
	p, fault := m.createTemporary(ctx, req.Vm, req.Auth, req.Prefix, req.Suffix, req.DirectoryPath, false)
	if fault != nil {
		body.Fault_ = guestFault(fault)
	} else {
		body.Res = &types.CreateTemporaryFileInGuestResponse{Returnval: p}
	}
	return body
}

func (m *guestFileManager) CreateTemporaryDirectoryInGuest(ctx *simulator.Context, req *types.CreateTemporaryDirectoryInGuest) soap.HasFault {
	body := new(methods.CreateTemporaryDirectoryInGuestBody)
	p, fault := m.createTemporary(ctx, req.Vm, req.Auth, req.Prefix, req.Suffix, req.DirectoryPath, true)
	if fault != nil {
		body.Fault_ = guestFault(fault)
	} else {
		body.Res = &types.CreateTemporaryDirectoryInGuestResponse{Returnval: p}
	}
	return body
}

func (m *guestFileManager) MoveFileInGuest(ctx *simulator.Context, req *types.MoveFileInGuest) soap.HasFault {
	body := new(methods.MoveFileInGuestBody)
	fault := m.move(ctx, req.Vm, req.Auth, req.SrcFilePath, req.DstFilePath, req.Overwrite, false)
	if fault != nil {
		body.Fault_ = guestFault(fault)
	} else {
		body.Res = new(types.MoveFileInGuestResponse)
	}
	return body
}

func (m *guestFileManager) MoveDirectoryInGuest(ctx *simulator.Context, req *types.MoveDirectoryInGuest) soap.HasFault {
	body := new(methods.MoveDirectoryInGuestBody)
	fault := m.move(ctx, req.Vm, req.Auth, req.SrcDirectoryPath, req.DstDirectoryPath, false, true)
	if fault != nil {
		body.Fault_ = guestFault(fault)
	} else {
		body.Res = new(types.MoveDirectoryInGuestResponse)
	}
	return body
}

func (m *guestFileManager) move(ctx *simulator.Context, vm types.ManagedObjectReference, auth types.BaseGuestAuthentication,
	src, dst string, overwrite, isDir bool) types.BaseMethodFault {
	hsrc, fault := m.writablePath(ctx, vm, auth, src)
	if fault != nil {
		return fault
	}
	hdst, fault := m.g.hostPath(vm, dst, true)
	if fault != nil {
		return fault
	}
	st, err := os.Lstat(hsrc)
	if err != nil {
		return fileFault(src, err)
	}
	if st.IsDir() != isDir {
		if isDir {
			return &types.NotADirectory{FileFault: types.FileFault{File: src}}
		}
		return &types.NotAFile{FileFault: types.FileFault{File: src}}
	}
	if _, err := os.Lstat(hdst); err == nil && !overwrite {
		return &types.FileAlreadyExists{FileFault: types.FileFault{File: dst}}
	}
	if err := os.Rename(hsrc, hdst); err != nil {
		return fileFault(dst, err)
	}
	return nil
}

func (m *guestFileManager) ListFilesInGuest(ctx *simulator.Context, req *types.ListFilesInGuest) soap.HasFault {
	body := new(methods.ListFilesInGuestBody)
	info, fault := m.list(ctx, req)
	if fault != nil {
		body.Fault_ = guestFault(fault)
	} else {
		body.Res = &types.ListFilesInGuestResponse{Returnval: *info}
	}
	return body
}

func (m *guestFileManager) list(ctx *simulator.Context, req *types.ListFilesInGuest) (*types.GuestListFileInfo, types.BaseMethodFault) {
	if _, fault := m.g.guestRequest(ctx, req.Vm, req.Auth); fault != nil {
		return nil, fault
	}
	hp, fault := m.g.hostPath(req.Vm, req.FilePath, false)
	if fault != nil {
		return nil, fault
	}
	st, err := os.Lstat(hp)
	if err != nil {
		return nil, fileFault(req.FilePath, err)
	}
	var files []types.GuestFileInfo
	if !st.IsDir() {
		files = append(files, fileInfo(req.FilePath, st))
	} else {
		entries, err := os.ReadDir(hp)
		if err != nil {
			return nil, fileFault(req.FilePath, err)
		}
		// vSphere's matchPattern is a Perl-compatible regular expression.
		var match *regexp.Regexp
		if req.MatchPattern != "" {
			if match, err = regexp.Compile(req.MatchPattern); err != nil {
				return nil, &types.InvalidArgument{InvalidProperty: "matchPattern"}
			}
		}
		for _, e := range entries {
			if match != nil && !match.MatchString(e.Name()) {
				continue
			}
			if est, err := e.Info(); err == nil {
				files = append(files, fileInfo(e.Name(), est))
			}
		}
		sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	}
	index := int(req.Index)
	if index > len(files) {
		index = len(files)
	}
	files = files[index:]
	remaining := 0
	if req.MaxResults > 0 && len(files) > int(req.MaxResults) {
		remaining = len(files) - int(req.MaxResults)
		files = files[:req.MaxResults]
	}
	return &types.GuestListFileInfo{Files: files, Remaining: int32(remaining)}, nil
}

func fileInfo(name string, st os.FileInfo) types.GuestFileInfo {
	kind := string(types.GuestFileTypeFile)
	switch {
	case st.IsDir():
		kind = string(types.GuestFileTypeDirectory)
	case st.Mode()&os.ModeSymlink != 0:
		kind = string(types.GuestFileTypeSymlink)
	}
	return types.GuestFileInfo{Path: name, Type: kind, Size: st.Size(), Attributes: posixAttributes(st)}
}
