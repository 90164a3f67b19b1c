/// Stops with `message` when `condition` is false, in every build mode.
///
/// The module builds with -Ounchecked, where `precondition` is not checked; API misuse (wrong tensor shapes,
/// too-small output buffers) must still stop cleanly instead of reading out of bounds.
@inline(__always)
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
  if !condition() { fatalError(message()) }
}
