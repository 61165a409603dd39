import Distributed
import XCTest

final class DistributedErrorTests: XCTestCase {
    func testDescriptionNamesRankCallAndReason() {
        let error = DistributedError(rank: 1, size: 4, call: "MPI_Allreduce", code: 15, errorClass: 15,
                                     reason: "MPI_ERR_TRUNCATE: message truncated")
        XCTAssertEqual(error.description, "rank 1 of 4: MPI_Allreduce failed: MPI_ERR_TRUNCATE: message truncated")
        let planning = DistributedError(rank: nil, size: nil, call: "BucketPlan", reason: "no")
        XCTAssertEqual(planning.description, "BucketPlan failed: no")
    }
}
