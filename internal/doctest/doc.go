// Package doctest holds the tests of the documentation (README.md and docs/*.md): every shell
// block marked runnable runs against a fresh mock and must print what the document says it
// prints, and every relative link must point at a file of the repository. It has no code of its
// own; see docs_test.go for the convention.
package doctest
