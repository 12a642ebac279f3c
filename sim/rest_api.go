package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
)

// vSphere 7 moved its Automation REST API from /rest to /api, with other request and answer
// shapes: bodies are the specs themselves (no {"create_spec": ...}), answers are the values
// themselves (no {"value": ...}), a created resource answers 201 and a call with nothing to
// say 204, ids follow the resource in the path (no "id:"), the action is "action=" (not
// "~action="), and errors are {"error_type": "NOT_FOUND", "messages": [...]}. The vSphere
// Automation SDKs and Ansible's vmware_rest collection speak /api. v0.56's vAPI simulator
// serves sessions and tagging under /rest only (under /api it has content library parts), so
// the calls below are served by passing them on to its /rest handlers and translating both
// ways: both APIs then share their sessions, categories, tags and attachments, as on vCenter.
const (
	apiSessionPath = "/api/session"
	apiTaggingPath = "/api/cis/tagging/"
	restCISPath    = "/rest/com/vmware/cis/"
	// restSessionHeader carries a REST session's token, in both APIs.
	restSessionHeader = "vmware-api-session-id"
)

// serveAPI answers the /api calls that the vAPI simulator lacks, and says whether it did.
func (e *extensions) serveAPI(w http.ResponseWriter, r *http.Request, next http.Handler) bool {
	switch {
	case r.URL.Path == vapiJSONRPCPath && r.Method == http.MethodPost:
		serveJSONRPC(w, r, next)
	case r.URL.Path == apiSessionPath:
		apiSession(w, r, next)
	case strings.HasPrefix(r.URL.Path, apiTaggingPath):
		apiTagging(w, r, next)
	default:
		return false
	}
	return true
}

// restAnswer is what a /rest handler answered: its status, the value it wrapped, and the
// vAPI error type of a 400 ("com.vmware.vapi.std.errors.already_exists").
type restAnswer struct {
	status    int
	value     json.RawMessage
	errorType string
}

// callREST passes a call on to the /rest handler at path (under /rest/com/vmware/cis/) with
// the caller's headers, so with its session or credentials.
func callREST(next http.Handler, r *http.Request, method, path, action string, body interface{}) restAnswer {
	var payload []byte
	if body != nil {
		payload, _ = json.Marshal(body)
	}
	u := url.URL{Path: restCISPath + path}
	if action != "" {
		u.RawQuery = url.Values{"~action": {action}}.Encode()
	}
	req := httptest.NewRequest(method, u.String(), bytes.NewReader(payload)).WithContext(r.Context())
	req.Header = r.Header.Clone()
	req.Header.Set("Content-Type", "application/json")
	// A session made through /api is used through its header; /rest's login would also set a
	// cookie for /rest.
	req.Header.Set("vmware-use-header-authn", "true")
	req.RemoteAddr = r.RemoteAddr
	rec := httptest.NewRecorder()
	serveGuarded(rec, req, next, "REST "+method+" "+path)
	answer := restAnswer{status: rec.Code}
	var wrapped struct {
		Value json.RawMessage `json:"value"`
		Type  string          `json:"type"`
	}
	if json.Unmarshal(rec.Body.Bytes(), &wrapped) == nil {
		answer.value, answer.errorType = wrapped.Value, wrapped.Type
	}
	return answer
}

// apiErrors are the /api errors, by the /rest error type or HTTP status they come from.
var apiErrors = map[string]struct {
	status  int
	kind    string
	message string
}{
	"com.vmware.vapi.std.errors.already_exists":   {http.StatusBadRequest, "ALREADY_EXISTS", "An object with the same name already exists."},
	"com.vmware.vapi.std.errors.invalid_argument": {http.StatusBadRequest, "INVALID_ARGUMENT", "A specified parameter was not correct."},
	"401": {http.StatusUnauthorized, "UNAUTHENTICATED", "Authentication required."},
	"404": {http.StatusNotFound, "NOT_FOUND", "The object was not found."},
	"400": {http.StatusBadRequest, "INVALID_ARGUMENT", "The request could not be read."},
}

// writeAPIError answers with the /api error for a failed /rest answer.
func writeAPIError(w http.ResponseWriter, a restAnswer) {
	e, ok := apiErrors[a.errorType]
	if !ok {
		e, ok = apiErrors[strconv.Itoa(a.status)]
	}
	if !ok {
		e.status, e.kind, e.message = http.StatusInternalServerError, "ERROR", "A general system error occurred."
	}
	writeAPIErrorKind(w, e.status, e.kind, e.message)
}

func writeAPIErrorKind(w http.ResponseWriter, status int, kind, message string) {
	type localizable struct {
		Args           []string `json:"args"`
		DefaultMessage string   `json:"default_message"`
		ID             string   `json:"id"`
	}
	writeAPIJSON(w, status, struct {
		ErrorType string        `json:"error_type"`
		Messages  []localizable `json:"messages"`
	}{kind, []localizable{{Args: []string{}, DefaultMessage: message, ID: "com.vmware.vapi.std.errors." + strings.ToLower(kind)}}})
}

func writeAPIJSON(w http.ResponseWriter, status int, value interface{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(value)
}

// relay answers an /api call with a /rest answer: its value with status (200 or 201), 204
// when the call has nothing to say, or the /api error.
func relay(w http.ResponseWriter, a restAnswer, status int, noContent bool) {
	switch {
	case a.status != http.StatusOK:
		writeAPIError(w, a)
	case noContent:
		w.WriteHeader(http.StatusNoContent)
	case len(a.value) == 0 || string(a.value) == "null":
		writeAPIJSON(w, status, []string{}) // an empty list, which /rest leaves out
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(a.value)
	}
}

// apiSession: POST logs in with basic authentication and answers the session's token as a
// JSON string (201), GET describes the session, DELETE logs out (204).
func apiSession(w http.ResponseWriter, r *http.Request, next http.Handler) {
	switch r.Method {
	case http.MethodPost:
		relay(w, callREST(next, r, http.MethodPost, "session", "", nil), http.StatusCreated, false)
	case http.MethodGet:
		relay(w, callREST(next, r, http.MethodPost, "session", "get", nil), http.StatusOK, false)
	case http.MethodDelete:
		if r.Header.Get(restSessionHeader) == "" {
			writeAPIErrorKind(w, http.StatusUnauthorized, "UNAUTHENTICATED", "Authentication required.")
			return
		}
		relay(w, callREST(next, r, http.MethodDelete, "session", "", nil), http.StatusOK, true)
	default:
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}

// apiTagging serves /api/cis/tagging/{category,tag,tag-association}[/{id}][?action=...].
func apiTagging(w http.ResponseWriter, r *http.Request, next http.Handler) {
	resource, id, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, apiTaggingPath), "/")
	action := r.URL.Query().Get("action")
	var body map[string]json.RawMessage
	if raw, _ := io.ReadAll(r.Body); len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &body); err != nil {
			writeAPIErrorKind(w, http.StatusBadRequest, "INVALID_ARGUMENT", "The request body is not a JSON object.")
			return
		}
	}
	switch resource {
	case "category", "tag":
		apiTaggingObject(w, r, next, resource, id, action, body)
	case "tag-association":
		apiTagAssociation(w, r, next, id, action, body)
	default:
		writeAPIErrorKind(w, http.StatusNotFound, "NOT_FOUND", "No such resource.")
	}
}

// apiTaggingObject serves categories and tags: list, create, get, update, delete, and a tag's
// list-tags-for-category.
func apiTaggingObject(w http.ResponseWriter, r *http.Request, next http.Handler, resource, id, action string, body map[string]json.RawMessage) {
	path := "tagging/" + resource
	switch {
	case id == "" && r.Method == http.MethodGet:
		relay(w, callREST(next, r, http.MethodGet, path, "", nil), http.StatusOK, false)
	case id == "" && r.Method == http.MethodPost && action == "":
		relay(w, callREST(next, r, http.MethodPost, path, "", map[string]interface{}{"create_spec": body}), http.StatusCreated, false)
	case id == "" && r.Method == http.MethodPost && resource == "tag" && action == "list-tags-for-category":
		var category string
		_ = json.Unmarshal(body["category_id"], &category)
		if category == "" {
			writeAPIErrorKind(w, http.StatusBadRequest, "INVALID_ARGUMENT", "category_id is required.")
			return
		}
		relay(w, callREST(next, r, http.MethodPost, path+"/id:"+category, "list-tags-for-category", nil), http.StatusOK, false)
	case id != "" && r.Method == http.MethodGet:
		answer := callREST(next, r, http.MethodGet, path+"/id:"+id, "", nil)
		if answer.status == http.StatusOK {
			answer.value = completeTaggingObject(resource, answer.value)
		}
		relay(w, answer, http.StatusOK, false)
	case id != "" && r.Method == http.MethodPatch:
		relay(w, callREST(next, r, http.MethodPatch, path+"/id:"+id, "", map[string]interface{}{"update_spec": body}), http.StatusOK, true)
	case id != "" && r.Method == http.MethodDelete:
		relay(w, callREST(next, r, http.MethodDelete, path+"/id:"+id, "", nil), http.StatusOK, true)
	default:
		writeAPIErrorKind(w, http.StatusBadRequest, "INVALID_ARGUMENT", "This operation is not supported by the simulator.")
	}
}

// completeTaggingObject gives a category or tag every field /api answers with: /rest leaves
// out empty ones (a category with no description, a tag used by no one) and keeps the id the
// create spec may have asked for under its create-spec name.
func completeTaggingObject(resource string, value json.RawMessage) json.RawMessage {
	var fields map[string]interface{}
	if json.Unmarshal(value, &fields) != nil {
		return value
	}
	defaults := map[string]interface{}{"name": "", "description": "", "used_by": []string{}}
	if resource == "category" {
		delete(fields, "category_id")
		defaults["associable_types"] = []string{}
		defaults["cardinality"] = "SINGLE"
	} else {
		delete(fields, "tag_id")
		defaults["category_id"] = ""
	}
	for k, v := range defaults {
		if _, ok := fields[k]; !ok {
			fields[k] = v
		}
	}
	out, _ := json.Marshal(fields)
	return out
}

// batchResult is the answer of the tag-association calls that act on many objects or tags.
type batchResult struct {
	Success bool              `json:"success"`
	Errors  []json.RawMessage `json:"error_messages"`
}

// apiTagAssociation serves attaching, detaching and listing: with a tag id in the path for
// one tag, without for one object or many.
func apiTagAssociation(w http.ResponseWriter, r *http.Request, next http.Handler, tag, action string, body map[string]json.RawMessage) {
	if r.Method != http.MethodPost {
		writeAPIErrorKind(w, http.StatusBadRequest, "INVALID_ARGUMENT", "This operation is not supported by the simulator.")
		return
	}
	path := "tagging/tag-association"
	if tag != "" {
		path += "/id:" + tag
	}
	switch action {
	case "attach", "detach":
		if tag == "" {
			break
		}
		relay(w, callREST(next, r, http.MethodPost, path, action, body), http.StatusOK, true)
		return
	case "list-attached-objects":
		if tag == "" {
			break
		}
		relay(w, callREST(next, r, http.MethodPost, path, action, map[string]interface{}{}), http.StatusOK, false)
		return
	case "attach-tag-to-multiple-objects", "detach-tag-from-multiple-objects":
		if tag == "" {
			break
		}
		var objects []json.RawMessage
		_ = json.Unmarshal(body["object_ids"], &objects)
		one := "attach"
		if strings.HasPrefix(action, "detach") {
			one = "detach"
		}
		result := batchResult{Success: true, Errors: []json.RawMessage{}}
		for _, object := range objects {
			a := callREST(next, r, http.MethodPost, path, one, map[string]json.RawMessage{"object_id": object})
			if a.status == http.StatusUnauthorized || a.status == http.StatusNotFound {
				writeAPIError(w, a)
				return
			}
			if a.status != http.StatusOK {
				result.Success = false
			}
		}
		writeAPIJSON(w, http.StatusOK, result)
		return
	case "detach-multiple-tags-from-object":
		if tag != "" {
			break
		}
		// One detach per tag: /rest's own marks the attachments detached without removing
		// them, and its lists then still show the object.
		var tags []string
		_ = json.Unmarshal(body["tag_ids"], &tags)
		result := batchResult{Success: true, Errors: []json.RawMessage{}}
		for _, id := range tags {
			a := callREST(next, r, http.MethodPost, path+"/id:"+id, "detach", map[string]json.RawMessage{"object_id": body["object_id"]})
			if a.status == http.StatusUnauthorized {
				writeAPIError(w, a)
				return
			}
			if a.status != http.StatusOK {
				result.Success = false
				message, _ := json.Marshal(map[string]interface{}{
					"args": []string{id}, "default_message": "Tagging object " + id + " not found", "id": "cis.tagging.objectNotFound.error",
				})
				result.Errors = append(result.Errors, message)
			}
		}
		writeAPIJSON(w, http.StatusOK, result)
		return
	case "attach-multiple-tags-to-object":
		if tag != "" {
			break
		}
		a := callREST(next, r, http.MethodPost, path, action, body)
		if a.status == http.StatusOK {
			var result batchResult
			_ = json.Unmarshal(a.value, &result)
			if result.Errors == nil {
				result.Errors = []json.RawMessage{}
			}
			a.value, _ = json.Marshal(result)
		}
		relay(w, a, http.StatusOK, false)
		return
	case "list-attached-tags", "list-attached-objects-on-tags", "list-attached-tags-on-objects":
		if tag != "" {
			break
		}
		relay(w, callREST(next, r, http.MethodPost, path, action, body), http.StatusOK, false)
		return
	}
	writeAPIErrorKind(w, http.StatusBadRequest, "INVALID_ARGUMENT", "This operation is not supported by the simulator.")
}
