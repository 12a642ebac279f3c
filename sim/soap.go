package main

import (
	"bytes"
	stdxml "encoding/xml"
	"fmt"
	"net/http"
	"reflect"

	"github.com/vmware/govmomi/vim25/types"
	"github.com/vmware/govmomi/vim25/xml"
)

// sniffMethod reads just enough of a SOAP request to name its method and target object,
// so that the middleware can decide what to do without decoding every request in full.
func sniffMethod(body []byte) (string, types.ManagedObjectReference) {
	var this types.ManagedObjectReference
	d := stdxml.NewDecoder(bytes.NewReader(body))
	depth, bodyDepth := 0, -1
	method := ""
	for {
		tok, err := d.Token()
		if err != nil {
			return method, this
		}
		switch t := tok.(type) {
		case stdxml.StartElement:
			depth++
			switch {
			case bodyDepth < 0 && t.Name.Local == "Body":
				bodyDepth = depth
			case bodyDepth >= 0 && depth == bodyDepth+1:
				method = t.Name.Local
			case method != "" && depth == bodyDepth+2 && t.Name.Local == "_this":
				for _, a := range t.Attr {
					if a.Name.Local == "type" {
						this.Type = a.Value
					}
				}
				var value string
				if err := d.DecodeElement(&value, &t); err == nil {
					this.Value = value
				}
				return method, this
			}
		case stdxml.EndElement:
			depth--
		}
	}
}

// soapEnvelope is the outer element of every response, with the namespaces vSphere declares.
type soapEnvelope struct {
	XMLName xml.Name    `xml:"soapenv:Envelope"`
	Enc     string      `xml:"xmlns:soapenc,attr"`
	Env     string      `xml:"xmlns:soapenv,attr"`
	XSD     string      `xml:"xmlns:xsd,attr"`
	XSI     string      `xml:"xmlns:xsi,attr"`
	Body    interface{} `xml:"soapenv:Body"`
}

// methodResponse encodes a response value as <{Method}Response xmlns="urn:vim25">.
type methodResponse struct {
	method string
	value  interface{}
}

func (r *methodResponse) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if err := e.EncodeToken(start); err != nil {
		return err
	}
	res := xml.StartElement{Name: xml.Name{Space: "urn:vim25", Local: r.method + "Response"}}
	if err := e.EncodeElement(r.value, res); err != nil {
		return err
	}
	return e.EncodeToken(start.End())
}

// faultDetail encodes a fault as <{Kind}Fault xmlns="urn:vim25" xsi:type="{Kind}">, as vSphere does.
type faultDetail struct {
	fault types.BaseMethodFault
}

func (d *faultDetail) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	kind := reflect.TypeOf(d.fault).Elem().Name()
	start.Name.Local = kind + "Fault"
	start.Attr = append(start.Attr,
		xml.Attr{Name: xml.Name{Local: "xmlns"}, Value: "urn:vim25"},
		xml.Attr{Name: xml.Name{Local: "xsi:type"}, Value: kind})
	return e.EncodeElement(d.fault, start)
}

type soapFaultBody struct {
	Fault struct {
		XMLName xml.Name `xml:"soapenv:Fault"`
		Code    string   `xml:"faultcode"`
		String  string   `xml:"faultstring"`
		Detail  struct {
			Fault *faultDetail
		} `xml:"detail"`
	}
}

func writeEnvelope(w http.ResponseWriter, status int, body interface{}) {
	var out bytes.Buffer
	out.WriteString(xml.Header)
	e := xml.NewEncoder(&out)
	err := e.Encode(&soapEnvelope{
		Enc:  "http://schemas.xmlsoap.org/soap/encoding/",
		Env:  "http://schemas.xmlsoap.org/soap/envelope/",
		XSD:  "http://www.w3.org/2001/XMLSchema",
		XSI:  "http://www.w3.org/2001/XMLSchema-instance",
		Body: body,
	})
	if err == nil {
		err = e.Flush()
	}
	if err != nil {
		http.Error(w, fmt.Sprintf("encoding the response: %v", err), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(out.Bytes())
}

// writeResponse answers a method with its response value (for example types.RebootGuestResponse{}).
func writeResponse(w http.ResponseWriter, method string, value interface{}) {
	writeEnvelope(w, http.StatusOK, &methodResponse{method: method, value: value})
}

// writeTaskResponse answers a *_Task method with the reference of the task it started.
func writeTaskResponse(w http.ResponseWriter, method string, task types.ManagedObjectReference) {
	writeResponse(w, method, struct {
		Returnval types.ManagedObjectReference `xml:"returnval"`
	}{task})
}

// writeFault answers with a SOAP fault carrying a vSphere fault and vSphere's message for it.
func writeFault(w http.ResponseWriter, fault types.BaseMethodFault) {
	writeFaultMessage(w, faultMessage(fault), fault)
}

// writeFaultMessage answers with a SOAP fault, as a real vCenter does (HTTP 500).
func writeFaultMessage(w http.ResponseWriter, message string, fault types.BaseMethodFault) {
	body := new(soapFaultBody)
	body.Fault.Code = "ServerFaultCode"
	body.Fault.String = message
	body.Fault.Detail.Fault = &faultDetail{fault}
	writeEnvelope(w, http.StatusInternalServerError, body)
}
