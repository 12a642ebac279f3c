package main

// Content libraries as vCenter answers them, around v0.56.0's vAPI handlers:
//
//   - "filter" (what a client reads before a deploy) names the package's networks, read
//     from the item's descriptor, as vCenter's does (vSphere Automation API,
//     vcenter.ovf.LibraryItem.filter, OvfSummary.networks). Upstream answers the item's
//     name alone, so a client cannot tell which networks to map.
//   - a library item's size is that of its files, as vCenter reports it (content.library
//     ItemModel.size); upstream leaves it 0 whatever was uploaded.

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/vmware/govmomi/ovf"
	"github.com/vmware/govmomi/simulator"
)

const (
	ovfLibraryItemPath = "/rest/com/vmware/vcenter/ovf/library-item/"
	libraryItemPath    = "/rest/com/vmware/content/library/item"
)

// serveLibraryItem answers a read of one library item with its size; false for anything
// else.
func serveLibraryItem(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
	if r.Method != http.MethodGet || path.Dir(r.URL.Path) != libraryItemPath ||
		!strings.HasPrefix(path.Base(r.URL.Path), "id:") {
		return false
	}
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	var answer struct {
		Value map[string]any `json:"value"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &answer) != nil || answer.Value == nil {
		copyResponse(w, rec)
		return true
	}
	if size, ok := answer.Value["size"].(float64); !ok || size == 0 {
		answer.Value["size"] = itemSize(strings.TrimPrefix(path.Base(r.URL.Path), "id:"))
	}
	writeJSON(w, answer)
	return true
}

// itemFiles: the files the vAPI simulator keeps for a library item, in
// "contentlib-<library>/<item>" on the library's datastore.
func itemFiles(item, pattern string) []string {
	if item == "" || strings.ContainsAny(item, `/\`) || strings.Contains(item, "..") {
		return nil
	}
	var files []string
	for _, obj := range reg.All("Datastore") {
		if ds, ok := obj.(*simulator.Datastore); ok {
			found, _ := filepath.Glob(filepath.Join(ds.Info.GetDatastoreInfo().Url, "contentlib-*", item, pattern))
			files = append(files, found...)
		}
	}
	return files
}

func itemSize(item string) int64 {
	var size int64
	for _, name := range itemFiles(item, "*") {
		if info, err := os.Stat(name); err == nil && info.Mode().IsRegular() {
			size += info.Size()
		}
	}
	return size
}

// serveOVFFilter answers the filter action of an OVF library item; false for anything
// else, which the simulator answers as it is.
func serveOVFLibraryItem(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, ovfLibraryItemPath) ||
		r.URL.Query().Get("~action") != "filter" {
		return false
	}
	serveOVFFilter(w, r, next)
	return true
}

func serveOVFFilter(w http.ResponseWriter, r *http.Request, next http.Handler) {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	var answer struct {
		Value map[string]any `json:"value"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &answer) != nil || answer.Value == nil {
		copyResponse(w, rec)
		return
	}
	item := strings.TrimPrefix(path.Base(r.URL.Path), "id:")
	networks, err := itemNetworks(item)
	if err != nil {
		copyResponse(w, rec)
		return
	}
	answer.Value["networks"] = networks
	writeJSON(w, answer)
}

// itemNetworks reads the names of the networks in a library item's OVF descriptor.
func itemNetworks(item string) ([]string, error) {
	for _, name := range itemFiles(item, "*.ovf") {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		envelope, err := ovf.Unmarshal(f)
		_ = f.Close()
		if err != nil {
			return nil, err
		}
		networks := []string{}
		if envelope.Network != nil {
			for _, n := range envelope.Network.Networks {
				networks = append(networks, n.Name)
			}
		}
		return networks, nil
	}
	return nil, os.ErrNotExist
}
