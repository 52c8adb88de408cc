// The synchronous library's types (CreateOptions, ProcessIO, Spec, ExitStatus, ...) are
// part of this API: `import BerthAsync` is all a server needs.
@_exported import Berth
