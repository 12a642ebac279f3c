package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/vmware/govmomi/simulator"
	vapisim "github.com/vmware/govmomi/vapi/simulator"
)

func TestPlainValue(t *testing.T) {
	var typed interface{}
	_ = json.Unmarshal([]byte(`{"STRUCTURE": {"operation-input": {
		"create_spec": {"STRUCTURE": {"com.vmware.cis.tagging.category.create_spec": {
			"name": "env", "associable_types": ["VirtualMachine"],
			"category_id": {"OPTIONAL": null}, "description": {"OPTIONAL": "d"}}}},
		"secret": {"SECRET": "s3"}}}}`), &typed)
	want := map[string]interface{}{
		"create_spec": map[string]interface{}{
			"name": "env", "associable_types": []interface{}{"VirtualMachine"},
			"category_id": nil, "description": "d",
		},
		"secret": "s3",
	}
	if got := plainValue(typed); !reflect.DeepEqual(got, want) {
		t.Fatalf("plainValue = %#v, want %#v", got, want)
	}
	spec := withoutUnset(want["create_spec"])
	if _, ok := spec["category_id"]; ok || spec["name"] != "env" {
		t.Fatalf("withoutUnset kept an unset optional or lost a field: %#v", spec)
	}
}

// rpcServer is serveJSONRPC in front of the simulator's own vAPI handlers.
func rpcServer(t *testing.T) http.Handler {
	t.Helper()
	model := simulator.VPX()
	if err := model.Create(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(model.Remove)
	_, next := vapisim.New(&url.URL{Scheme: "http", Host: "127.0.0.1"}, model.Map())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serveJSONRPC(w, r, next)
	})
}

// invoke calls an operation and answers the JSON-RPC result: {"output": ...} or {"error": ...}.
func invoke(t *testing.T, h http.Handler, security map[string]interface{}, service, operation string, input map[string]interface{}) map[string]interface{} {
	t.Helper()
	body, _ := json.Marshal(map[string]interface{}{
		"jsonrpc": "2.0", "method": "invoke", "id": "7",
		"params": map[string]interface{}{
			"serviceId": service, "operationId": operation,
			"input": structure("operation-input", input),
			"ctx":   map[string]interface{}{"appCtx": map[string]interface{}{}, "securityCtx": security},
		},
	})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, vapiJSONRPCPath, strings.NewReader(string(body))))
	var answer struct {
		ID     string                 `json:"id"`
		Result map[string]interface{} `json:"result"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &answer); err != nil || answer.ID != "7" || answer.Result == nil {
		t.Fatalf("%s.%s: answer %s", service, operation, w.Body.String())
	}
	return answer.Result
}

// errorKind is the type of the vAPI error of a result, or "".
func errorKind(result map[string]interface{}) string {
	e, _ := result["error"].(map[string]interface{})
	typed, _ := e["ERROR"].(map[string]interface{})
	for kind := range typed {
		return kind
	}
	return ""
}

func TestJSONRPCTagging(t *testing.T) {
	h := rpcServer(t)
	login := map[string]interface{}{"schemeId": userPassScheme, "userName": "u", "password": "p"}
	secret, _ := invoke(t, h, login, "com.vmware.cis.session", "create", nil)["output"].(map[string]interface{})
	token, _ := secret["SECRET"].(string)
	if token == "" {
		t.Fatalf("session create answered %#v", secret)
	}
	session := map[string]interface{}{"schemeId": sessionIDScheme, "sessionId": token}

	if kind := errorKind(invoke(t, h, nil, "com.vmware.cis.tagging.category", "list", nil)); kind != "com.vmware.vapi.std.errors.unauthenticated" {
		t.Fatalf("list without a session: error %q", kind)
	}
	spec := structure("com.vmware.cis.tagging.category.create_spec", map[string]interface{}{
		"name": "env", "description": "", "cardinality": "SINGLE",
		"associable_types": []string{}, "category_id": optional(nil),
	})
	category, _ := invoke(t, h, session, "com.vmware.cis.tagging.category", "create", map[string]interface{}{"create_spec": spec})["output"].(string)
	if !strings.HasPrefix(category, "urn:vmomi:InventoryServiceCategory:") {
		t.Fatalf("create answered %q", category)
	}
	model := invoke(t, h, session, "com.vmware.cis.tagging.category", "get", map[string]interface{}{"category_id": category})["output"]
	got, _ := plainValue(model).(map[string]interface{})
	want := map[string]interface{}{
		"id": category, "name": "env", "description": "", "cardinality": "SINGLE",
		"associable_types": []interface{}{}, "used_by": []interface{}{},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("get answered %#v, want %#v", got, want)
	}
	if _, ok := model.(map[string]interface{})["STRUCTURE"].(map[string]interface{})["com.vmware.cis.tagging.category_model"]; !ok {
		t.Fatalf("get answered no category_model structure: %#v", model)
	}
	if kind := errorKind(invoke(t, h, session, "com.vmware.cis.tagging.category", "create", map[string]interface{}{"create_spec": spec})); kind != "com.vmware.vapi.std.errors.already_exists" {
		t.Fatalf("a second create: error %q", kind)
	}
	if out := invoke(t, h, session, "com.vmware.cis.tagging.category", "delete", map[string]interface{}{"category_id": category}); out["output"] != nil || errorKind(out) != "" {
		t.Fatalf("delete answered %#v", out)
	}
	if kind := errorKind(invoke(t, h, session, "com.vmware.cis.tagging.category", "get", map[string]interface{}{"category_id": category})); kind != "com.vmware.vapi.std.errors.not_found" {
		t.Fatalf("get of a deleted category: error %q", kind)
	}
	if kind := errorKind(invoke(t, h, session, "com.vmware.cis.nothing", "list", nil)); kind != "com.vmware.vapi.std.errors.operation_not_found" {
		t.Fatalf("an unknown service: error %q", kind)
	}
}
