package web

import (
	"encoding/json"
	"net/http"

	"herald/catalog"
)

type eventTypeField struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Description string `json:"description"`
	// In is "data" for fields the emitter sends, "computed" for the run
	// links Herald adds.
	In      string `json:"in"`
	Default string `json:"default,omitempty"`
}

type eventType struct {
	Key         string           `json:"key"`
	EventType   string           `json:"event_type"`
	Name        string           `json:"name"`
	Description string           `json:"description"`
	Fields      []eventTypeField `json:"fields"`
	Example     json.RawMessage  `json:"example"`
	Schema      json.RawMessage  `json:"schema"`
}

// eventTypesBody renders the catalog once: it changes only with the
// deployment's configuration.
func eventTypesBody(b *catalog.Builder) []byte {
	var out list[eventType]
	for _, e := range catalog.Events() {
		et := eventType{Key: string(e.Key), EventType: e.Type, Name: e.Name, Description: e.Description,
			Example: b.Example(e), Schema: e.Schema(), Fields: []eventTypeField{}}
		for _, f := range e.Fields {
			in := "data"
			if f.Link != nil {
				in = "computed"
			}
			et.Fields = append(et.Fields, eventTypeField{Name: f.Name, Type: string(f.Kind), Description: f.Description, In: in, Default: f.Default})
		}
		out.Data = append(out.Data, et)
	}
	body, err := json.Marshal(out)
	if err != nil {
		panic(err) // static data: cannot fail
	}
	return body
}

func (s *Server) getEventTypes(w http.ResponseWriter, r *http.Request) error {
	writeRawJSON(w, http.StatusOK, s.eventTypes)
	return nil
}
