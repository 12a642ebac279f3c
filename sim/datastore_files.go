package main

// Tasks of the FileManager (DeleteDatastoreFile_Task, MoveDatastoreFile_Task,
// CopyDatastoreFile_Task) and of datastore browsers (searchTaskEntity) name a managed entity, as every task does on vCenter:
// TaskInfo.entity is a ManagedEntity in the WSDL, and for these methods vCenter names the
// datacenter the call was given.
//
// v0.56's CreateTask names the object whose method made the task, here the FileManager,
// which is no ManagedEntity: clients that check types (pyVmomi: "For "entity" expected type
// vim.ManagedEntity, but got vim.FileManager") cannot read such a task's info at all, so they
// never learn that it finished. Upstream fixed this for SearchDatastore_Task (govmomi #1353,
// PR #1357) and noted that other tasks, VirtualDiskManager's among them, still have it.
// After the simulator has answered, fileTaskEntity names the datacenter of the request (the
// source's for a move or copy; the root folder if none was given) in the task's info. The
// client learns of the task from that answer, so no one reads the info before it is mended.
//
// Datastore files over /folder (GET, PUT) need no extension: v0.56 streams a PUT straight
// into the file (io.Copy, nothing buffered, however large) and serves GET with Go's file
// server (streamed, with Content-Length), finding the datastore by dcPath and dsName as
// vCenter does (404 for one it does not know). Like vCenter, a PUT makes missing folders
// above the file (govmomi #1332); an interrupted PUT leaves what arrived as the file.

import (
	"net/http/httptest"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

// fileTaskMethods are the FileManager methods whose tasks fileTaskEntity mends.
var fileTaskMethods = []string{
	"DeleteDatastoreFile_Task", "MoveDatastoreFile_Task", "CopyDatastoreFile_Task",
	"SearchDatastore_Task", "SearchDatastoreSubFolders_Task",
}

func init() {
	// Through the hooked methods' path of the middleware, so that after() sees their answers.
	for _, method := range fileTaskMethods {
		hooked[method] = true
	}
}

// fileTaskEntity names the request's datacenter as the entity of the task a FileManager
// method answered (rec).
func fileTaskEntity(body []byte, rec *httptest.ResponseRecorder) {
	var datacenter *types.ManagedObjectReference
	switch req := decodeRequest(body).(type) {
	case *types.DeleteDatastoreFile_Task:
		datacenter = req.Datacenter
	case *types.MoveDatastoreFile_Task:
		datacenter = req.SourceDatacenter
	case *types.CopyDatastoreFile_Task:
		datacenter = req.SourceDatacenter
	case *types.SearchDatastore_Task:
		searchTaskEntity(req.DatastorePath, rec)
		return
	case *types.SearchDatastoreSubFolders_Task:
		searchTaskEntity(req.DatastorePath, rec)
		return
	default:
		return
	}
	entity := serviceContent().RootFolder
	if datacenter != nil {
		if _, ok := reg.Get(*datacenter).(*simulator.Datacenter); ok {
			entity = *datacenter
		}
	}
	task, ok := reg.Get(returnedTask(rec.Body.Bytes())).(*simulator.Task)
	if !ok {
		return
	}
	name := entity.Value
	if named, ok := reg.Get(entity).(interface{ Entity() *mo.ManagedEntity }); ok {
		name = named.Entity().Name
	}
	newContext().WithLock(task, func() {
		task.Info.Entity = &entity
		task.Info.EntityName = name
	})
}

// searchTaskEntity names the searched datastore as the entity of a datastore browser's task
// from the start. Upstream's fix (above) names it only once the task runs, and since v0.30
// tasks run after the answer: a client that reads the task's info at once meets the browser,
// which is no ManagedEntity, and pyVmomi fails to read the info (a race, seen now and then).
func searchTaskEntity(datastorePath string, rec *httptest.ResponseRecorder) {
	var path object.DatastorePath
	if !path.FromString(datastorePath) {
		return
	}
	ds := datastoreNamed(path.Datastore)
	task, ok := reg.Get(returnedTask(rec.Body.Bytes())).(*simulator.Task)
	if ds == nil || !ok {
		return
	}
	newContext().WithLock(task, func() {
		task.Info.Entity = &ds.Self
		task.Info.EntityName = ds.Name
	})
}
