// Package clock is the mock's only source of time. Flows, token signing and verification, the
// store's sweeps and the dev tools all ask a Clock, so tests and the admin API can move time
// without waiting. Controlled is the clock the mock runs on by default: real time that can be
// advanced, set and reset.
package clock
