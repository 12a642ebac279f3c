package main

// A datastore can be made to run out of space, for tests of what a client does when a disk
// fills up:
//
//   - POST /_sim/datastore {"name": "LocalDS_0", "free_bytes": 1048576} sets what the
//     datastore reports as free (summary.freeSpace and info.freeSpace, seen by property
//     collectors as any change is); both answer every datastore's free bytes.
//   - An upload through an import lease (PUT or POST to /nfc/...) to a VM on a datastore with
//     no free space left stops with 507 Insufficient Storage, as ESXi stops writing a disk
//     when its datastore is full. The check is made as the bytes arrive, so a datastore that
//     fills while a client uploads stops that upload half-way.
//
// v0.56 counts the capacity of the disks it adds against a datastore's free space, but never
// refuses a write: its NFC handler only checksums what it is sent.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

const nfcUploadPrefix = "/nfc/"

// serveDatastoreSpace answers the control endpoint's "datastore".
func serveDatastoreSpace(w http.ResponseWriter, r *http.Request) error {
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, freeSpace())
		return nil
	case http.MethodPost:
		var req struct {
			Name      string `json:"name"`
			FreeBytes *int64 `json:"free_bytes"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			return err
		}
		if req.FreeBytes == nil || *req.FreeBytes < 0 {
			return errors.New(`"free_bytes": a number of bytes, 0 or more`)
		}
		ds := datastoreNamed(req.Name)
		if ds == nil {
			return fmt.Errorf("no datastore named %q", req.Name)
		}
		ctx := newContext()
		ctx.WithLock(ds, func() {
			info := ds.Info.GetDatastoreInfo()
			info.FreeSpace = *req.FreeBytes
			ctx.Update(ds, []types.PropertyChange{
				{Name: "summary.freeSpace", Val: *req.FreeBytes},
				{Name: "info", Val: ds.Info},
			})
		})
		writeJSON(w, freeSpace())
		return nil
	default:
		return fmt.Errorf("%s: GET or POST", r.Method)
	}
}

// freeSpace is what each datastore reports free, by name.
func freeSpace() map[string]int64 {
	free := map[string]int64{}
	for _, obj := range reg.All("Datastore") {
		if ds, ok := obj.(*simulator.Datastore); ok {
			newContext().WithLock(ds, func() { free[ds.Name] = ds.Summary.FreeSpace })
		}
	}
	return free
}

func datastoreNamed(name string) *simulator.Datastore {
	for _, obj := range reg.All("Datastore") {
		if ds, ok := obj.(*simulator.Datastore); ok && ds.Name == name {
			return ds
		}
	}
	return nil
}

// serveUpload passes an upload through an import lease on to the simulator, stopping it with
// 507 when the datastore of the lease's VM has no free space; false for anything else.
func serveUpload(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
	if (r.Method != http.MethodPut && r.Method != http.MethodPost) || !strings.HasPrefix(r.URL.Path, nfcUploadPrefix) {
		return false
	}
	ds := leaseDatastore(strings.Split(strings.TrimPrefix(r.URL.Path, nfcUploadPrefix), "/")[0])
	if ds == nil {
		return false
	}
	body := &spaceLimitedBody{ReadCloser: r.Body, ds: ds}
	r.Body = body
	next.ServeHTTP(&fullDatastoreStatus{ResponseWriter: w, body: body}, r)
	return true
}

// importLeases: the datastore each import lease's VM is made on (the datastore of the
// spec's vmPathName) and the VM's name, by lease id, recorded as ImportVApp answers (see noteImportLease). The
// simulator keeps its leases in the caller's session, out of the registry's reach.
var importLeases sync.Map

// noteImportLease records the datastore of the VM an ImportVApp answer's lease makes.
func noteImportLease(body []byte, rec *httptest.ResponseRecorder) {
	req, ok := decodeRequest(body).(*types.ImportVApp)
	if !ok {
		return
	}
	spec, ok := req.Spec.(*types.VirtualMachineImportSpec)
	if !ok || spec.ConfigSpec.Files == nil {
		return
	}
	var p object.DatastorePath
	if lease := returnedValue(rec.Body.Bytes()); lease != "" && p.FromString(spec.ConfigSpec.Files.VmPathName) {
		importLeases.Store(lease, importLease{datastore: p.Datastore, vm: spec.ConfigSpec.Name})
	}
}

// importLease: where an import lease's VM is made, and its name.
type importLease struct {
	datastore string
	vm        string
}

// leaseDatastore is the datastore of the VM an import lease makes, if known.
func leaseDatastore(id string) *simulator.Datastore {
	lease, ok := importLeases.Load(id)
	if !ok {
		return nil
	}
	return datastoreNamed(lease.(importLease).datastore)
}

// fullDatastoreStatus turns the simulator's 500 for an upload stopped by a full datastore
// into 507 Insufficient Storage.
type fullDatastoreStatus struct {
	http.ResponseWriter
	body *spaceLimitedBody
}

func (w *fullDatastoreStatus) WriteHeader(status int) {
	if w.body.full {
		status = http.StatusInsufficientStorage
	}
	w.ResponseWriter.WriteHeader(status)
}

// errDatastoreFull is what reading an upload to a full datastore ends in.
var errDatastoreFull = errors.New("the datastore is full")

type spaceLimitedBody struct {
	io.ReadCloser
	ds   *simulator.Datastore
	full bool
}

func (b *spaceLimitedBody) Read(p []byte) (int, error) {
	var free int64
	newContext().WithLock(b.ds, func() { free = b.ds.Summary.FreeSpace })
	if free <= 0 {
		b.full = true
		return 0, errDatastoreFull
	}
	return b.ReadCloser.Read(p)
}
