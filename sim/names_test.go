package main

import "testing"

func TestVcenterEscape(t *testing.T) {
	for name, want := range map[string]string{
		"web/01":      "web%2f01",
		"web%2f01":    "web%2f01", // an escape sequence stays as it is
		"web%2F01":    "web%2F01",
		"100%":        "100%25",
		"100% done":   "100%25 done",
		"%252f":       "%252f",
		`a\b`:         "a%5cb",
		"%zz":         "%25zz",
		"plain name":  "plain name",
		"a/b%25c%5cd": "a%2fb%25c%5cd",
	} {
		if got := vcenterEscape(name); got != want {
			t.Errorf("vcenterEscape(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestMendName(t *testing.T) {
	// The simulator escapes CreateFolder names itself: undo the sequences the client sent.
	got := string(mendName("CreateFolder", []byte(`<CreateFolder><_this>g</_this><name>a%2fb %25</name></CreateFolder>`)))
	if want := `<CreateFolder><_this>g</_this><name>a/b %</name></CreateFolder>`; got != want {
		t.Errorf("CreateFolder: %s", got)
	}
	// It escapes no pool names: escape them as vCenter does.
	got = string(mendName("CreateResourcePool", []byte(`<CreateResourcePool><name>a/b%2f</name><spec><name>x</name></spec></CreateResourcePool>`)))
	if want := `<CreateResourcePool><name>a%2fb%2f</name><spec><name>x</name></spec></CreateResourcePool>`; got != want {
		t.Errorf("CreateResourcePool: %s", got)
	}
	got = string(mendName("CloneVM_Task", []byte(`<CloneVM_Task><name>a/b%2f\c</name></CloneVM_Task>`)))
	if want := `<CloneVM_Task><name>a_b_2f_c</name></CloneVM_Task>`; got != want {
		t.Errorf("CloneVM_Task: %s", got)
	}
	// pyVmomi marks elements with the API version.
	got = string(mendName("Rename_Task", []byte(`<Rename_Task><newName versionId="8.0.3.0">a/b</newName></Rename_Task>`)))
	if want := `<Rename_Task><newName versionId="8.0.3.0">a%2fb</newName></Rename_Task>`; got != want {
		t.Errorf("Rename_Task: %s", got)
	}
	body := []byte(`<PowerOnVM_Task><name>a/b</name></PowerOnVM_Task>`)
	if got := string(mendName("PowerOnVM_Task", body)); got != string(body) {
		t.Errorf("PowerOnVM_Task changed: %s", got)
	}
}
