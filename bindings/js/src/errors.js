// Error classes: one per error kind of the library (mxc.h: messages start with "ShapeError: ", "TypeError: ", ...).
// Every failing call throws one of them with the library's message (the text after the kind) as its message.

/** Base class of every error thrown by the binding; `kind` is the library's error kind ("ShapeError", ...). */
export class MXCError extends Error {
  constructor(message, kind = 'InternalError') {
    super(message);
    this.name = new.target.name;
    this.kind = kind;
  }
}
/** Shapes that do not fit (kind "ShapeError"). */
export class ShapeError extends MXCError {}
/** A dtype that does not fit, or an argument of the wrong type (kind "TypeError"). */
export class MXCTypeError extends MXCError {}
/** A bad value: unknown operator or parameter, a parameter that does not parse, a disposed handle (kind
 *  "ValueError"). */
export class ValueError extends MXCError {}
/** An index out of range (kind "IndexError"). */
export class IndexError extends MXCError {}
/** A corrupt or truncated file or buffer (kind "IOError"). */
export class IOError extends MXCError {}
/** A device that does not exist in this build (kind "DeviceError"). */
export class DeviceError extends MXCError {}
/** A failure inside the library (kind "InternalError"). */
export class InternalError extends MXCError {}

const byKind = {
  ShapeError,
  TypeError: MXCTypeError,
  ValueError,
  IndexError,
  IOError,
  DeviceError,
  InternalError,
};

/** The error for a library message "Kind: text"; an unknown kind keeps its name on an MXCError. */
export function errorFromMessage(msg) {
  const m = /^([A-Za-z]+Error): ([\s\S]*)$/.exec(msg);
  if (!m) return new InternalError(msg || 'the library reported a failure without a message', 'InternalError');
  const cls = byKind[m[1]] || MXCError;
  return new cls(m[2], m[1]);
}

/** An error the binding finds itself, before calling the library, in the library's terms. */
export function bindingError(kind, msg) {
  return new (byKind[kind] || MXCError)(msg, kind);
}
