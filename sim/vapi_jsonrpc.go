package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// The vSphere Automation SDKs (Python's vmware-vapi-runtime, and so Ansible's
// community.vmware tag modules) do not speak the /api REST paths: they speak vAPI JSON-RPC,
// one POST /api per call, {"jsonrpc": "2.0", "method": "invoke", "params": {"serviceId":
// "com.vmware.cis.tagging.category", "operationId": "list", "input": {...}, "ctx":
// {"appCtx": {...}, "securityCtx": {...}}}, "id": "1"}, answered with {"result": {"output":
// ...}} or {"result": {"error": ...}}. Values are typed: a structure is {"STRUCTURE":
// {"<type name>": {fields}}}, an error {"ERROR": {"<type name>": {fields}}}, an optional
// {"OPTIONAL": value or null}, a secret {"SECRET": "..."}; lists and sets are JSON arrays,
// enums and ids strings. v0.56's vAPI simulator answers com.vmware.cis.session create only,
// and every other call with output null ("VoidValue object is not iterable" in the SDK). The
// calls below are served by passing them on to the /rest handlers, as the /api REST paths
// are (rest_api.go), so all three share their sessions, categories, tags and attachments.
const vapiJSONRPCPath = "/api"

// Security context schemes (vmware.vapi.security.user_password and .session).
const (
	userPassScheme  = "com.vmware.vapi.std.security.user_pass"
	sessionIDScheme = "com.vmware.vapi.std.security.session_id"
)

// rpcRequest is a JSON-RPC 2.0 call as the vAPI runtime sends it.
type rpcRequest struct {
	Version string          `json:"jsonrpc"`
	Method  string          `json:"method"`
	ID      json.RawMessage `json:"id"`
	Params  struct {
		ServiceID   string          `json:"serviceId"`
		OperationID string          `json:"operationId"`
		Input       json.RawMessage `json:"input"`
		Ctx         struct {
			SecurityCtx map[string]interface{} `json:"securityCtx"`
		} `json:"ctx"`
	} `json:"params"`
}

// rpcOutcome is what an operation answers: its output, or a vAPI error (error type and
// message), which JSON-RPC still carries as a result.
type rpcOutcome struct {
	output    interface{}
	errorType string // "not_found", as in com.vmware.vapi.std.errors.not_found
	message   string
}

func rpcOK(output interface{}) rpcOutcome { return rpcOutcome{output: output} }

func rpcError(kind, message string) rpcOutcome {
	return rpcOutcome{errorType: kind, message: message}
}

// rpcCall is one vAPI operation with its input (plain JSON: see plainValue) and a way to
// reach the /rest handlers with the caller's security context.
type rpcCall struct {
	r     *http.Request // the caller's request, with its security context as /rest's headers
	next  http.Handler
	input map[string]interface{}
}

func (c *rpcCall) rest(method, path, action string, body interface{}) restAnswer {
	return callREST(c.next, c.r, method, path, action, body)
}

func (c *rpcCall) str(name string) string {
	s, _ := c.input[name].(string)
	return s
}

// serveJSONRPC answers a vAPI JSON-RPC call.
func serveJSONRPC(w http.ResponseWriter, r *http.Request, next http.Handler) {
	var req rpcRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeRPC(w, nil, nil, &rpcFailure{-32700, "Parse error."})
		return
	}
	if req.Method != "invoke" {
		writeRPC(w, req.ID, nil, &rpcFailure{-32601, "Method not found."})
		return
	}
	var raw interface{}
	if len(req.Params.Input) > 0 {
		_ = json.Unmarshal(req.Params.Input, &raw)
	}
	input, _ := plainValue(raw).(map[string]interface{})
	if input == nil {
		input = map[string]interface{}{}
	}
	call := &rpcCall{r: withSecurityContext(r, req.Params.Ctx.SecurityCtx), next: next, input: input}
	var outcome rpcOutcome
	if op, ok := rpcOperations[req.Params.ServiceID+"."+req.Params.OperationID]; ok {
		outcome = op(call)
	} else {
		outcome = rpcError("operation_not_found", "Operation "+req.Params.OperationID+" of service "+
			req.Params.ServiceID+" is not served by the simulator.")
	}
	result := map[string]interface{}{"output": outcome.output}
	if outcome.errorType != "" {
		result = map[string]interface{}{"error": vapiError(outcome.errorType, outcome.message)}
	}
	writeRPC(w, req.ID, result, nil)
}

// rpcFailure is a JSON-RPC protocol error, as opposed to a vAPI error of the operation.
type rpcFailure struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func writeRPC(w http.ResponseWriter, id json.RawMessage, result interface{}, failure *rpcFailure) {
	answer := map[string]interface{}{"jsonrpc": "2.0", "id": id}
	if id == nil {
		answer["id"] = nil
	}
	if failure != nil {
		answer["error"] = failure
	} else {
		answer["result"] = result
	}
	writeAPIJSON(w, http.StatusOK, answer)
}

// withSecurityContext is the caller's request with its JSON-RPC security context in the
// headers /rest reads: a user and password as basic authentication, a session id as the
// vmware-api-session-id header.
func withSecurityContext(r *http.Request, ctx map[string]interface{}) *http.Request {
	c := r.Clone(r.Context())
	c.Header.Del("Authorization")
	switch ctx["schemeId"] {
	case userPassScheme:
		user, _ := ctx["userName"].(string)
		password, _ := plainValue(ctx["password"]).(string)
		c.SetBasicAuth(user, password)
	case sessionIDScheme:
		if id, _ := plainValue(ctx["sessionId"]).(string); id != "" {
			c.Header.Set(restSessionHeader, id)
		}
	}
	return c
}

// plainValue is a vAPI JSON-RPC data value as plain JSON, as /rest reads it: structures as
// objects, an unset optional as nil, a set optional as its value, a secret as its text.
func plainValue(v interface{}) interface{} {
	switch v := v.(type) {
	case map[string]interface{}:
		if len(v) != 1 {
			return v
		}
		for kind, inner := range v {
			switch kind {
			case "STRUCTURE", "ERROR":
				typed, _ := inner.(map[string]interface{})
				for _, fields := range typed {
					out := map[string]interface{}{}
					if f, ok := fields.(map[string]interface{}); ok {
						for name, value := range f {
							out[name] = plainValue(value)
						}
					}
					return out
				}
				return map[string]interface{}{}
			case "OPTIONAL":
				if inner == nil {
					return nil
				}
				return plainValue(inner)
			case "SECRET":
				return inner
			case "BINARY":
				s, _ := inner.(string)
				b, _ := base64.StdEncoding.DecodeString(s)
				return string(b)
			}
		}
		return v
	case []interface{}:
		out := make([]interface{}, len(v))
		for i, e := range v {
			out[i] = plainValue(e)
		}
		return out
	default:
		return v
	}
}

// withoutUnset drops the fields of a spec that are nil (unset optionals), so that /rest
// leaves what they name as it is.
func withoutUnset(v interface{}) map[string]interface{} {
	out := map[string]interface{}{}
	if m, ok := v.(map[string]interface{}); ok {
		for k, e := range m {
			if e != nil {
				out[k] = e
			}
		}
	}
	return out
}

// structure is a vAPI structure value of the named type.
func structure(name string, fields map[string]interface{}) map[string]interface{} {
	return map[string]interface{}{"STRUCTURE": map[string]interface{}{name: fields}}
}

// optional is a vAPI optional value; nil is unset.
func optional(v interface{}) map[string]interface{} {
	return map[string]interface{}{"OPTIONAL": v}
}

// localizableMessage is a com.vmware.vapi.std.localizable_message.
func localizableMessage(id, message string, args []string) map[string]interface{} {
	if args == nil {
		args = []string{}
	}
	return structure("com.vmware.vapi.std.localizable_message", map[string]interface{}{
		"id": id, "default_message": message, "args": args,
		"params": optional(nil), "localized": optional(nil),
	})
}

// vapiError is the error value of com.vmware.vapi.std.errors.<kind>, as vCenter sends it:
// its messages, no data, and its error_type ("NOT_FOUND").
func vapiError(kind, message string) map[string]interface{} {
	fields := map[string]interface{}{
		"messages":   []interface{}{localizableMessage("vapi.std.errors."+kind, message, nil)},
		"data":       optional(nil),
		"error_type": optional(strings.ToUpper(kind)),
	}
	if kind == "unauthenticated" {
		fields["challenge"] = optional(nil)
	}
	return map[string]interface{}{"ERROR": map[string]interface{}{"com.vmware.vapi.std.errors." + kind: fields}}
}

// restFailure is the vAPI error for a failed /rest answer, with what to say for a 404.
func restFailure(a restAnswer, notFound string) rpcOutcome {
	switch {
	case a.status == http.StatusUnauthorized:
		return rpcError("unauthenticated", "Authentication required.")
	case a.status == http.StatusNotFound:
		return rpcError("not_found", notFound)
	case a.errorType == "com.vmware.vapi.std.errors.already_exists":
		return rpcError("already_exists", "An object with the same name already exists.")
	case a.errorType == "com.vmware.vapi.std.errors.invalid_argument", a.status == http.StatusBadRequest:
		return rpcError("invalid_argument", "A specified parameter was not correct.")
	default:
		return rpcError("internal_server_error", "A general system error occurred.")
	}
}

// stringList reads a /rest list of strings (null, which /rest answers for none, is empty).
func stringList(raw json.RawMessage) []string {
	list := []string{}
	_ = json.Unmarshal(raw, &list)
	if list == nil {
		list = []string{}
	}
	return list
}

// dynamicID is a com.vmware.vapi.std.dynamic_ID (a managed object's type and id).
func dynamicID(v interface{}) map[string]interface{} {
	m, _ := v.(map[string]interface{})
	t, _ := m["type"].(string)
	id, _ := m["id"].(string)
	return structure("com.vmware.vapi.std.dynamic_ID", map[string]interface{}{"type": t, "id": id})
}

func dynamicIDs(list []interface{}) []interface{} {
	out := make([]interface{}, 0, len(list))
	for _, o := range list {
		out = append(out, dynamicID(o))
	}
	return out
}

// rpcOperations are the operations served, by "<serviceId>.<operationId>".
var rpcOperations = map[string]func(*rpcCall) rpcOutcome{
	"com.vmware.cis.session.create": func(c *rpcCall) rpcOutcome {
		a := c.rest(http.MethodPost, "session", "", nil)
		if a.status != http.StatusOK {
			return rpcError("unauthenticated", "Authentication required.")
		}
		var id string
		_ = json.Unmarshal(a.value, &id)
		return rpcOK(map[string]interface{}{"SECRET": id})
	},
	"com.vmware.cis.session.get": func(c *rpcCall) rpcOutcome {
		a := c.rest(http.MethodPost, "session", "get", nil)
		if a.status != http.StatusOK {
			return restFailure(a, "")
		}
		var s struct {
			User         string    `json:"user"`
			Created      time.Time `json:"created_time"`
			LastAccessed time.Time `json:"last_accessed_time"`
		}
		_ = json.Unmarshal(a.value, &s)
		return rpcOK(structure("com.vmware.cis.session.info", map[string]interface{}{
			"user": s.User, "created_time": vapiTime(s.Created), "last_accessed_time": vapiTime(s.LastAccessed),
		}))
	},
	"com.vmware.cis.session.delete": func(c *rpcCall) rpcOutcome {
		if c.r.Header.Get(restSessionHeader) == "" {
			return rpcError("unauthenticated", "Authentication required.")
		}
		a := c.rest(http.MethodDelete, "session", "", nil)
		if a.status != http.StatusOK {
			return restFailure(a, "")
		}
		return rpcOK(nil)
	},

	"com.vmware.cis.tagging.category.create": func(c *rpcCall) rpcOutcome {
		return taggingCreate(c, "category")
	},
	"com.vmware.cis.tagging.category.get": func(c *rpcCall) rpcOutcome {
		return taggingGet(c, "category", c.str("category_id"))
	},
	"com.vmware.cis.tagging.category.update": func(c *rpcCall) rpcOutcome {
		return taggingUpdate(c, "category", c.str("category_id"))
	},
	"com.vmware.cis.tagging.category.delete": func(c *rpcCall) rpcOutcome {
		return taggingDelete(c, "category", c.str("category_id"))
	},
	"com.vmware.cis.tagging.category.list": func(c *rpcCall) rpcOutcome {
		return taggingList(c, "category")
	},
	"com.vmware.cis.tagging.category.list_used_categories": func(c *rpcCall) rpcOutcome {
		return taggingListUsed(c, "category", c.str("used_by_entity"))
	},

	"com.vmware.cis.tagging.tag.create": func(c *rpcCall) rpcOutcome {
		return taggingCreate(c, "tag")
	},
	"com.vmware.cis.tagging.tag.get": func(c *rpcCall) rpcOutcome {
		return taggingGet(c, "tag", c.str("tag_id"))
	},
	"com.vmware.cis.tagging.tag.update": func(c *rpcCall) rpcOutcome {
		return taggingUpdate(c, "tag", c.str("tag_id"))
	},
	"com.vmware.cis.tagging.tag.delete": func(c *rpcCall) rpcOutcome {
		return taggingDelete(c, "tag", c.str("tag_id"))
	},
	"com.vmware.cis.tagging.tag.list": func(c *rpcCall) rpcOutcome {
		return taggingList(c, "tag")
	},
	"com.vmware.cis.tagging.tag.list_used_tags": func(c *rpcCall) rpcOutcome {
		return taggingListUsed(c, "tag", c.str("used_by_entity"))
	},
	"com.vmware.cis.tagging.tag.list_tags_for_category": func(c *rpcCall) rpcOutcome {
		category := c.str("category_id")
		// /rest answers an empty list for a category that does not exist; vCenter, NotFound.
		if a := c.rest(http.MethodGet, "tagging/category/id:"+category, "", nil); a.status != http.StatusOK {
			return restFailure(a, "Category "+category+" not found.")
		}
		a := c.rest(http.MethodPost, "tagging/tag/id:"+category, "list-tags-for-category", nil)
		if a.status != http.StatusOK {
			return restFailure(a, "Category "+category+" not found.")
		}
		return rpcOK(stringList(a.value))
	},

	"com.vmware.cis.tagging.tag_association.attach": func(c *rpcCall) rpcOutcome {
		return tagAttachment(c, "attach")
	},
	"com.vmware.cis.tagging.tag_association.detach": func(c *rpcCall) rpcOutcome {
		return tagAttachment(c, "detach")
	},
	"com.vmware.cis.tagging.tag_association.attach_multiple_tags_to_object": func(c *rpcCall) rpcOutcome {
		return tagsOnObject(c, "attach")
	},
	"com.vmware.cis.tagging.tag_association.detach_multiple_tags_from_object": func(c *rpcCall) rpcOutcome {
		return tagsOnObject(c, "detach")
	},
	"com.vmware.cis.tagging.tag_association.attach_tag_to_multiple_objects": func(c *rpcCall) rpcOutcome {
		return tagOnObjects(c, "attach")
	},
	"com.vmware.cis.tagging.tag_association.detach_tag_from_multiple_objects": func(c *rpcCall) rpcOutcome {
		return tagOnObjects(c, "detach")
	},
	"com.vmware.cis.tagging.tag_association.list_attached_objects": func(c *rpcCall) rpcOutcome {
		tag := c.str("tag_id")
		a := c.rest(http.MethodPost, "tagging/tag-association/id:"+tag, "list-attached-objects", map[string]interface{}{})
		if a.status != http.StatusOK {
			return restFailure(a, "Tag "+tag+" not found.")
		}
		var objects []interface{}
		_ = json.Unmarshal(a.value, &objects)
		return rpcOK(dynamicIDs(objects))
	},
	"com.vmware.cis.tagging.tag_association.list_attached_tags": func(c *rpcCall) rpcOutcome {
		a := c.rest(http.MethodPost, "tagging/tag-association", "list-attached-tags", map[string]interface{}{"object_id": c.input["object_id"]})
		if a.status != http.StatusOK {
			return restFailure(a, "")
		}
		return rpcOK(stringList(a.value))
	},
	"com.vmware.cis.tagging.tag_association.list_attached_objects_on_tags": func(c *rpcCall) rpcOutcome {
		a := c.rest(http.MethodPost, "tagging/tag-association", "list-attached-objects-on-tags", map[string]interface{}{"tag_ids": c.input["tag_ids"]})
		if a.status != http.StatusOK {
			return restFailure(a, "")
		}
		var found []struct {
			TagID   string        `json:"tag_id"`
			Objects []interface{} `json:"object_ids"`
		}
		_ = json.Unmarshal(a.value, &found)
		out := []interface{}{}
		for _, f := range found {
			out = append(out, structure("com.vmware.cis.tagging.tag_association.tag_to_objects", map[string]interface{}{
				"tag_id": f.TagID, "object_ids": dynamicIDs(f.Objects),
			}))
		}
		return rpcOK(out)
	},
	"com.vmware.cis.tagging.tag_association.list_attached_tags_on_objects": func(c *rpcCall) rpcOutcome {
		a := c.rest(http.MethodPost, "tagging/tag-association", "list-attached-tags-on-objects", map[string]interface{}{"object_ids": c.input["object_ids"]})
		if a.status != http.StatusOK {
			return restFailure(a, "")
		}
		var found []struct {
			Object interface{} `json:"object_id"`
			Tags   []string    `json:"tag_ids"`
		}
		_ = json.Unmarshal(a.value, &found)
		out := []interface{}{}
		for _, f := range found {
			if f.Tags == nil {
				f.Tags = []string{}
			}
			out = append(out, structure("com.vmware.cis.tagging.tag_association.object_to_tags", map[string]interface{}{
				"object_id": dynamicID(f.Object), "tag_ids": f.Tags,
			}))
		}
		return rpcOK(out)
	},
}

// vapiTime is a time as vAPI's DateTime: RFC 3339 in UTC with milliseconds.
func vapiTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

func taggingCreate(c *rpcCall, resource string) rpcOutcome {
	spec := withoutUnset(c.input["create_spec"])
	if resource == "tag" {
		// /rest makes a tag in a category that does not exist; vCenter answers NotFound.
		category, _ := spec["category_id"].(string)
		if a := c.rest(http.MethodGet, "tagging/category/id:"+category, "", nil); a.status != http.StatusOK {
			return restFailure(a, "Category "+category+" not found.")
		}
	}
	a := c.rest(http.MethodPost, "tagging/"+resource, "", map[string]interface{}{"create_spec": spec})
	if a.status != http.StatusOK {
		return restFailure(a, "")
	}
	var id string
	_ = json.Unmarshal(a.value, &id)
	return rpcOK(id)
}

// taggingModel is a /rest category or tag as a category_model or tag_model structure.
func taggingModel(resource string, value json.RawMessage) map[string]interface{} {
	var fields map[string]interface{}
	_ = json.Unmarshal(completeTaggingObject(resource, value), &fields)
	return structure("com.vmware.cis.tagging."+resource+"_model", fields)
}

func taggingGet(c *rpcCall, resource, id string) rpcOutcome {
	a := c.rest(http.MethodGet, "tagging/"+resource+"/id:"+id, "", nil)
	if a.status != http.StatusOK {
		return restFailure(a, taggingNotFound(resource, id))
	}
	return rpcOK(taggingModel(resource, a.value))
}

func taggingNotFound(resource, id string) string {
	return strings.ToUpper(resource[:1]) + resource[1:] + " " + id + " not found."
}

func taggingUpdate(c *rpcCall, resource, id string) rpcOutcome {
	spec := withoutUnset(c.input["update_spec"])
	a := c.rest(http.MethodPatch, "tagging/"+resource+"/id:"+id, "", map[string]interface{}{"update_spec": spec})
	if a.status != http.StatusOK {
		return restFailure(a, taggingNotFound(resource, id))
	}
	return rpcOK(nil)
}

func taggingDelete(c *rpcCall, resource, id string) rpcOutcome {
	a := c.rest(http.MethodDelete, "tagging/"+resource+"/id:"+id, "", nil)
	if a.status != http.StatusOK {
		return restFailure(a, taggingNotFound(resource, id))
	}
	return rpcOK(nil)
}

func taggingList(c *rpcCall, resource string) rpcOutcome {
	a := c.rest(http.MethodGet, "tagging/"+resource, "", nil)
	if a.status != http.StatusOK {
		return restFailure(a, "")
	}
	return rpcOK(stringList(a.value))
}

// taggingListUsed lists the categories or tags whose used_by names the entity.
func taggingListUsed(c *rpcCall, resource, entity string) rpcOutcome {
	a := c.rest(http.MethodGet, "tagging/"+resource, "", nil)
	if a.status != http.StatusOK {
		return restFailure(a, "")
	}
	used := []string{}
	for _, id := range stringList(a.value) {
		one := c.rest(http.MethodGet, "tagging/"+resource+"/id:"+id, "", nil)
		var o struct {
			UsedBy []string `json:"used_by"`
		}
		_ = json.Unmarshal(one.value, &o)
		for _, u := range o.UsedBy {
			if u == entity {
				used = append(used, id)
				break
			}
		}
	}
	return rpcOK(used)
}

func tagAttachment(c *rpcCall, action string) rpcOutcome {
	tag := c.str("tag_id")
	a := c.rest(http.MethodPost, "tagging/tag-association/id:"+tag, action, map[string]interface{}{"object_id": c.input["object_id"]})
	if a.status != http.StatusOK {
		return restFailure(a, "Tag "+tag+" not found.")
	}
	return rpcOK(nil)
}

// batchResultValue is a com.vmware.cis.tagging.tag_association.batch_result.
func batchResultValue(errors []interface{}) map[string]interface{} {
	return structure("com.vmware.cis.tagging.tag_association.batch_result", map[string]interface{}{
		"success": len(errors) == 0, "error_messages": errors,
	})
}

// tagsOnObject attaches or detaches many tags on one object, one tag at a time: /rest's own
// detach-multiple marks the attachments detached without removing them, and its lists then
// still show the object. A tag that does not exist is an error message of the batch, as on
// vCenter, not an error of the call.
func tagsOnObject(c *rpcCall, action string) rpcOutcome {
	tags, _ := c.input["tag_ids"].([]interface{})
	errors := []interface{}{}
	for _, t := range tags {
		tag, _ := t.(string)
		a := c.rest(http.MethodPost, "tagging/tag-association/id:"+tag, action, map[string]interface{}{"object_id": c.input["object_id"]})
		switch {
		case a.status == http.StatusUnauthorized:
			return restFailure(a, "")
		case a.status != http.StatusOK:
			errors = append(errors, localizableMessage("cis.tagging.objectNotFound.error", "Tagging object "+tag+" not found", []string{tag}))
		}
	}
	return rpcOK(batchResultValue(errors))
}

// tagOnObjects attaches or detaches one tag on many objects; a tag that does not exist is
// NotFound.
func tagOnObjects(c *rpcCall, action string) rpcOutcome {
	tag := c.str("tag_id")
	objects, _ := c.input["object_ids"].([]interface{})
	if a := c.rest(http.MethodGet, "tagging/tag/id:"+tag, "", nil); a.status != http.StatusOK {
		return restFailure(a, "Tag "+tag+" not found.")
	}
	errors := []interface{}{}
	for _, o := range objects {
		a := c.rest(http.MethodPost, "tagging/tag-association/id:"+tag, action, map[string]interface{}{"object_id": o})
		switch {
		case a.status == http.StatusUnauthorized:
			return restFailure(a, "")
		case a.status != http.StatusOK:
			errors = append(errors, localizableMessage("cis.tagging.objectNotFound.error", "Tagging object "+tag+" not found", []string{tag}))
		}
	}
	return rpcOK(batchResultValue(errors))
}
