package web

import (
	"net/http"
	"strings"

	"herald"
)

func (s *Server) getCompany(w http.ResponseWriter, r *http.Request) error {
	return getForAccount(w, r, s.store.Company)
}

func (s *Server) putCompany(w http.ResponseWriter, r *http.Request) error {
	id, doc, err := s.accountDoc(w, r)
	if err != nil {
		return err
	}
	c, err := ParseCompany(doc)
	if err != nil {
		return err
	}
	if err := s.store.PutCompany(r.Context(), id, c); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// ParseCompany validates a Company document: {"primary_contact": {"name",
// "email"}}, or a null contact to clear it.
func ParseCompany(doc map[string]any) (herald.Company, error) {
	var bad herald.Fields
	var c herald.Company
	for key, v := range doc {
		if key != "primary_contact" {
			bad.Add(key, "unknown field")
			continue
		}
		if v == nil {
			continue
		}
		obj, ok := v.(map[string]any)
		if !ok {
			bad.Add(key, "must be an object with name and email, or null")
			continue
		}
		contact := &herald.Contact{}
		for field, v := range obj {
			path := "primary_contact." + field
			switch field {
			case "name":
				contact.Name = checkName(&bad, path, v, false)
			case "email":
				s, ok := v.(string)
				if !ok {
					bad.Add(path, "must be a string")
					continue
				}
				contact.Email = strings.TrimSpace(s)
				if reason := herald.CheckEmail(contact.Email); reason != "" {
					bad.Add(path, reason)
				}
			default:
				bad.Add(path, "unknown field")
			}
		}
		if _, ok := obj["email"]; !ok {
			bad.Add("primary_contact.email", "is required")
		}
		c.PrimaryContact = contact
	}
	if _, ok := doc["primary_contact"]; !ok {
		bad.Add("primary_contact", "is required (null clears it)")
	}
	return c, bad.Err()
}
