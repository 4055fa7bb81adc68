package ui

import (
	"net/http"
	"strings"

	"herald"
)

type companyData struct {
	Name, Email string
	Errors      map[string]string
	Saved       bool
}

func (s *server) companyPage(w http.ResponseWriter, r *http.Request, v *view) {
	c, err := s.store.Company(r.Context(), v.account.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body := companyData{Saved: r.URL.Query().Get("saved") == "1"}
	if c.PrimaryContact != nil {
		body.Name, body.Email = c.PrimaryContact.Name, c.PrimaryContact.Email
	}
	d := s.base(v, "company", "Company")
	if body.Saved {
		d.Flash = "Company saved."
	}
	d.Body = body
	s.render(w, r, http.StatusOK, "company.html", d)
}

// saveCompany posts the Company document: both fields empty clear the
// primary contact.
func (s *server) saveCompany(w http.ResponseWriter, r *http.Request, v *view) {
	body := companyData{Name: r.PostForm.Get("primary_contact.name"), Email: r.PostForm.Get("primary_contact.email")}
	doc := map[string]any{"primary_contact": nil}
	if strings.TrimSpace(body.Name) != "" || strings.TrimSpace(body.Email) != "" {
		doc["primary_contact"] = map[string]any{"name": body.Name, "email": body.Email}
	}
	c, err := herald.ParseCompany(doc)
	if err == nil {
		err = s.store.PutCompany(r.Context(), v.account.ID, c)
		if err == nil {
			http.Redirect(w, r, accountPath(v.account.ID, "company")+"?saved=1", http.StatusSeeOther)
			return
		}
	}
	fields, ok := fieldErrors(err)
	if !ok {
		s.fail(w, r, err)
		return
	}
	body.Errors = fields
	d := s.base(v, "company", "Company")
	d.Error = "Nothing was saved: fix the fields marked below."
	d.Body = body
	s.render(w, r, http.StatusUnprocessableEntity, "company.html", d)
}
