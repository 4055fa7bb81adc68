// Package netguard keeps Herald's webhook sender away from private networks.
//
// Customers choose webhook URLs, so without a guard they could aim Herald at
// loopback services, the internal network or a cloud metadata endpoint (SSRF).
// The policy is applied twice: when settings are saved, so customers get an
// immediate, readable refusal, and again when the connection is made, because
// DNS answers can change between the two (DNS rebinding).
package netguard
