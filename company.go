package herald

import (
	"strings"
	"unicode/utf8"
)

// ParseCompany validates a Company document, {"primary_contact": {"name",
// "email"}} or a null contact to clear it, as the API and the pages both
// receive it. Every bad path is named in the returned *Error's Fields.
func ParseCompany(doc map[string]any) (Company, error) {
	var bad Fields
	var c Company
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
		contact := &Contact{}
		for field, v := range obj {
			path := "primary_contact." + field
			switch field {
			case "name":
				contact.Name = CheckName(&bad, path, v, false)
			case "email":
				s, ok := v.(string)
				if !ok {
					bad.Add(path, "must be a string")
					continue
				}
				contact.Email = strings.TrimSpace(s)
				if reason := CheckEmail(contact.Email); reason != "" {
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

// CheckName validates a display name found at path in a document (account,
// contact or key name): a string, trimmed, at most MaxNameLength
// characters, without control characters, and not empty when required. It
// adds what is wrong to bad and returns the trimmed name.
func CheckName(bad *Fields, path string, v any, required bool) string {
	s, ok := v.(string)
	if !ok {
		bad.Add(path, "must be a string")
		return ""
	}
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		bad.Add(path, "must not be empty")
	case utf8.RuneCountInString(s) > MaxNameLength:
		bad.Add(path, "must be at most 200 characters")
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		bad.Add(path, "must not contain control characters")
	}
	return s
}
