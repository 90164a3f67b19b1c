import XCTest

@testable import KeyfaceBatch

final class InterruptTrapTests: XCTestCase {
  func testFirstSignalAsksSecondForces() throws {
    let stop = StopSignal()
    let trap = InterruptTrap(stop: stop, signals: [SIGUSR1])
    defer { trap.cancel() }
    kill(getpid(), SIGUSR1)
    try waitFor { stop.level == .interrupt }
    XCTAssertEqual(stop.signal, SIGUSR1)
    kill(getpid(), SIGUSR1)
    try waitFor { stop.level == .kill }
  }

  func waitFor(_ condition: () -> Bool) throws {
    let deadline = Date().addingTimeInterval(5)
    while !condition() {
      guard Date() < deadline else { return XCTFail("the signal was not seen") }
      usleep(10_000)
    }
  }
}
