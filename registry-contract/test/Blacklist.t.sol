// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {ProvenantRegistry} from "../src/ProvenantRegistry.sol";

/// @dev The forge cheatcodes these tests use (forge-std cannot be downloaded here).
interface BlacklistVm {
    function prank(address sender) external;
    function warp(uint256 timestamp) external;
    function deal(address account, uint256 balance) external;
    function expectRevert(bytes calldata revertData) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData, address emitter) external;
}

/// @dev Accepts payouts (or refuses them, to test TransferFailed).
contract Account {
    bool public refuse;

    function setRefuse(bool r) external {
        refuse = r;
    }

    function claimFrom(ProvenantRegistry reg) external {
        reg.claim();
    }

    function proposeCertificate(ProvenantRegistry reg, uint32 setId, bytes32 fp) external payable returns (uint64) {
        return reg.proposeCertificate{value: msg.value}(setId, fp, "from a contract");
    }

    receive() external payable {
        require(!refuse, "no thanks");
    }
}

contract BlacklistTest {
    BlacklistVm internal constant VM = BlacklistVm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);
    uint256 internal constant T0 = 1_700_000_000;
    uint256 internal constant BOND = 1 ether;
    uint32 internal constant TIMELOCK = 3 days;

    address internal constant C1 = address(0xC1);
    address internal constant C2 = address(0xC2);
    address internal constant C3 = address(0xC3);
    address internal constant REPORTER = address(0xAE);
    address internal constant APPELLANT = address(0xAA);
    address internal constant STRANGER = address(0xBAD);
    bytes32 internal constant GROUP = keccak256("group key");
    bytes32 internal constant EVIDENCE = keccak256("evidence photo");
    // A real capture tag (see Griefing.t.sol): activate checks that KEY reproduces it.
    bytes32 internal constant R = 0x4b1bb19faec493032bfb31d8d7bd661cd94758848d589fc8bc24969310fc4d35;
    bytes32 internal constant TAG = 0x68e620881620b3e8f773148dbc7b1d8bf89a552424f269b24934dd212f8e920a;
    bytes32 internal constant ESCROW = keccak256("escrow point");
    bytes32 internal constant FP = keccak256("fleet certificate");
    bytes32 internal constant KEY = 0x73d0a23a425c4e7d5c420d0d30975ff329c5a58513809067324f9423219463cc;

    ProvenantRegistry internal reg;
    uint32 internal set;

    function setUp() public {
        VM.warp(T0);
        reg = new ProvenantRegistry();
        set = reg.createCuratorSet("Board", _curators(), 2, TIMELOCK, BOND, GROUP);
        VM.deal(REPORTER, 10 ether);
        VM.deal(APPELLANT, 10 ether);
        VM.deal(STRANGER, 10 ether);
    }

    // ---- helpers ----

    function _check(bool condition, string memory what) internal pure {
        require(condition, what);
    }

    function _curators() internal pure returns (address[] memory c) {
        c = new address[](3);
        (c[0], c[1], c[2]) = (C1, C2, C3);
    }

    function _proposeDevice() internal returns (uint64 id) {
        VM.prank(REPORTER);
        id = reg.proposeDevice{value: BOND}(set, EVIDENCE, 100, R, TAG, ESCROW, 101, "staged");
    }

    function _approve(uint64 id, address c) internal {
        VM.prank(c);
        reg.approve(id);
    }

    function _approved() internal returns (uint64 id) {
        id = _proposeDevice();
        _approve(id, C1);
        _approve(id, C2);
    }

    function _share(uint64 id, address c) internal {
        VM.prank(c);
        reg.publishShare(id, keccak256(abi.encode("D", c)), bytes32(uint256(1)), bytes32(uint256(2)));
    }

    function _active() internal returns (uint64 id) {
        id = _approved();
        VM.warp(block.timestamp + TIMELOCK);
        _share(id, C1);
        _share(id, C3);
        reg.activate(id, KEY);
    }

    function _status(uint64 id) internal view returns (uint8) {
        return reg.entry(id).status;
    }

    // ---- curator sets ----

    function test_CuratorSet_IsStoredAndCounted() public view {
        (string memory name, address[] memory c, uint8 m, uint32 timelock, uint256 bond, bytes32 g) =
            reg.curatorSet(set);
        _check(keccak256(bytes(name)) == keccak256("Board"), "name");
        _check(c.length == 3 && c[0] == C1 && c[2] == C3, "curators");
        _check(m == 2 && timelock == TIMELOCK && bond == BOND && g == GROUP, "parameters");
        _check(reg.curatorSetCount() == 1, "count");
    }

    function test_CuratorSet_EmitsEvent() public {
        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.CuratorSetCreated(2, "Other", _curators(), 1, 60, 0, GROUP);
        reg.createCuratorSet("Other", _curators(), 1, 60, 0, GROUP);
    }

    function test_CuratorSet_RejectsBadParameters() public {
        address[] memory c = _curators();
        address[] memory dup = _curators();
        dup[2] = C1;
        address[] memory zero = _curators();
        zero[1] = address(0);
        address[] memory none = new address[](0);
        address[] memory many = new address[](33);
        for (uint256 i = 0; i < 33; i++) {
            many[i] = address(uint160(0x1000 + i));
        }
        bytes memory bad = abi.encodeWithSelector(ProvenantRegistry.BadCuratorSet.selector);
        VM.expectRevert(bad);
        reg.createCuratorSet("", c, 2, 1, 0, GROUP);
        VM.expectRevert(bad);
        reg.createCuratorSet("x", c, 0, 1, 0, GROUP);
        VM.expectRevert(bad);
        reg.createCuratorSet("x", c, 4, 1, 0, GROUP);
        VM.expectRevert(bad);
        reg.createCuratorSet("x", c, 2, 0, 0, GROUP);
        VM.expectRevert(bad);
        reg.createCuratorSet("x", c, 2, 1, 0, bytes32(0));
        VM.expectRevert(bad);
        reg.createCuratorSet("x", dup, 2, 1, 0, GROUP);
        VM.expectRevert(bad);
        reg.createCuratorSet("x", zero, 2, 1, 0, GROUP);
        VM.expectRevert(bad);
        reg.createCuratorSet("x", none, 1, 1, 0, GROUP);
        VM.expectRevert(bad);
        reg.createCuratorSet("x", many, 2, 1, 0, GROUP);
    }

    function test_CuratorSet_UnknownIdReverts() public {
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.UnknownCuratorSet.selector, 9));
        reg.curatorSet(9);
        VM.prank(REPORTER);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.UnknownCuratorSet.selector, 0));
        reg.proposeCertificate{value: BOND}(0, FP, "x");
    }

    // ---- proposals ----

    function test_ProposeDevice_StoresEvidenceAndEmits() public {
        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.EntryProposed(1, set, 0, EVIDENCE, REPORTER, "staged");
        uint64 id = _proposeDevice();
        ProvenantRegistry.Entry memory e = reg.entry(id);
        _check(id == 1 && reg.entryCount() == 1, "id");
        _check(e.kind == 0 && e.status == 0 && e.setId == set && e.reporter == REPORTER, "header");
        _check(e.subject == EVIDENCE && e.evidenceEpoch == 100 && e.startEpoch == 101, "evidence");
        _check(e.evidenceR == R && e.evidenceTag == TAG && e.escrowPoint == ESCROW, "tag");
        _check(e.epochKey == 0 && e.approvals == 0 && e.activeAfter == 0, "not yet");
        _check(address(reg).balance == BOND, "bond held");
    }

    function test_Propose_RejectsWrongBondAndBadEvidence() public {
        VM.prank(REPORTER);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.WrongBond.selector, BOND));
        reg.proposeDevice{value: BOND - 1}(set, EVIDENCE, 100, R, TAG, ESCROW, 100, "x");
        bytes memory bad = abi.encodeWithSelector(ProvenantRegistry.BadEvidence.selector);
        VM.prank(REPORTER);
        VM.expectRevert(bad);
        reg.proposeDevice{value: BOND}(set, bytes32(0), 100, R, TAG, ESCROW, 100, "x");
        VM.prank(REPORTER);
        VM.expectRevert(bad);
        reg.proposeDevice{value: BOND}(set, EVIDENCE, 100, R, TAG, bytes32(0), 100, "x");
        VM.prank(REPORTER);
        VM.expectRevert(bad);
        reg.proposeDevice{value: BOND}(set, EVIDENCE, 100, R, TAG, ESCROW, 99, "x");
        VM.prank(REPORTER);
        VM.expectRevert(bad);
        reg.proposeCertificate{value: BOND}(set, bytes32(0), "x");
    }

    function test_Entry_UnknownIdReverts() public {
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.UnknownEntry.selector, 1));
        reg.entry(1);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.UnknownEntry.selector, 5));
        reg.sharesOf(5);
        VM.prank(C1);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.UnknownEntry.selector, 0));
        reg.approve(0);
    }

    // ---- approval and timelock ----

    function test_Approve_BelowThresholdStaysProposed() public {
        uint64 id = _proposeDevice();
        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.EntryApproved(id, C1, 1);
        _approve(id, C1);
        _check(_status(id) == 0 && reg.entry(id).approvals == 1, "still proposed");
        VM.prank(C1);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.AlreadyVoted.selector, C1));
        reg.approve(id);
        VM.prank(STRANGER);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.NotCurator.selector, STRANGER));
        reg.approve(id);
    }

    function test_Approve_AtThresholdStartsTimelock() public {
        uint64 id = _proposeDevice();
        _approve(id, C1);
        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.EntryTimelockStarted(id, uint64(T0 + TIMELOCK));
        _approve(id, C2);
        _check(_status(id) == 1 && reg.entry(id).activeAfter == T0 + TIMELOCK, "approved");
    }

    function test_ApprovalDuringTimelockIsRefusedAndChangesNothing() public {
        uint64 id = _approved();
        VM.prank(C3);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.WrongStatus.selector, 1));
        reg.approve(id);
        _check(reg.entry(id).activeAfter == T0 + TIMELOCK, "timelock unchanged");
    }

    function test_Shares_RefusedBeforeApprovalAndDuringTimelock() public {
        uint64 id = _proposeDevice();
        VM.prank(C1);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.WrongStatus.selector, 0));
        reg.publishShare(id, bytes32(uint256(1)), 0, 0);
        _approve(id, C1);
        _approve(id, C2);
        VM.warp(T0 + TIMELOCK - 1);
        VM.prank(C1);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.TimelockRunning.selector, uint64(T0 + TIMELOCK)));
        reg.publishShare(id, bytes32(uint256(1)), 0, 0);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.TimelockRunning.selector, uint64(T0 + TIMELOCK)));
        reg.activate(id, KEY);
    }

    function test_Shares_AfterTimelockAreStoredOncePerCurator() public {
        uint64 id = _approved();
        VM.warp(T0 + TIMELOCK);
        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.ShareReleased(
            id, 2, keccak256(abi.encode("D", C2)), bytes32(uint256(1)), bytes32(uint256(2))
        );
        _share(id, C2);
        VM.prank(C2);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.AlreadyVoted.selector, C2));
        reg.publishShare(id, bytes32(uint256(3)), 0, 0);
        VM.prank(STRANGER);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.NotCurator.selector, STRANGER));
        reg.publishShare(id, bytes32(uint256(3)), 0, 0);
        (uint8[] memory idx, bytes32[] memory pts, bytes32[] memory c, bytes32[] memory z) = reg.sharesOf(id);
        _check(idx.length == 1 && idx[0] == 2 && pts[0] == keccak256(abi.encode("D", C2)), "share");
        _check(c[0] == bytes32(uint256(1)) && z[0] == bytes32(uint256(2)), "proof");
        _check(reg.entry(id).sharesPublished == 1, "count");
    }

    function test_Activate_NeedsThresholdSharesAndAKey() public {
        uint64 id = _approved();
        VM.warp(T0 + TIMELOCK);
        _share(id, C1);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.NotEnoughShares.selector, 1, 2));
        reg.activate(id, KEY);
        _share(id, C3);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.BadEpochKey.selector));
        reg.activate(id, bytes32(0));
        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.BondCredited(REPORTER, BOND);
        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.EntryActivated(id, KEY);
        VM.prank(STRANGER); // anyone may activate
        reg.activate(id, KEY);
        ProvenantRegistry.Entry memory e = reg.entry(id);
        _check(e.status == 3 && e.epochKey == KEY, "active");
        _check(reg.credit(REPORTER) == BOND, "bond back");
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.WrongStatus.selector, 3));
        reg.activate(id, KEY);
    }

    function test_CertificateEntry_ActivatesWithoutSharesOrKey() public {
        VM.prank(REPORTER);
        uint64 id = reg.proposeCertificate{value: BOND}(set, FP, "maker key leaked");
        _approve(id, C2);
        _approve(id, C3);
        VM.warp(T0 + TIMELOCK);
        VM.prank(C1);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.WrongKind.selector));
        reg.publishShare(id, bytes32(uint256(1)), 0, 0);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.BadEpochKey.selector));
        reg.activate(id, KEY);
        reg.activate(id, bytes32(0));
        ProvenantRegistry.Entry memory e = reg.entry(id);
        _check(e.kind == 1 && e.status == 3 && e.subject == FP, "active certificate entry");
    }

    // ---- appeals ----

    function test_Appeal_DuringTimelockStopsTheEntry() public {
        uint64 id = _approved();
        VM.prank(APPELLANT);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.WrongBond.selector, BOND));
        reg.appeal{value: 0}(id, "x");
        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.EntryAppealed(id, APPELLANT, "the reporter was paid");
        VM.prank(APPELLANT);
        reg.appeal{value: BOND}(id, "the reporter was paid");
        _check(_status(id) == 2 && reg.entry(id).appellant == APPELLANT, "appealed");
        VM.warp(T0 + TIMELOCK + 1);
        VM.prank(C1);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.WrongStatus.selector, 2));
        reg.publishShare(id, bytes32(uint256(1)), 0, 0);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.WrongStatus.selector, 2));
        reg.activate(id, KEY);
        VM.prank(STRANGER);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.WrongStatus.selector, 2));
        reg.appeal{value: BOND}(id, "second appeal");
    }

    function test_Appeal_AfterTimelockIsRefused() public {
        uint64 id = _approved();
        VM.warp(T0 + TIMELOCK);
        VM.prank(APPELLANT);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.TimelockOver.selector));
        reg.appeal{value: BOND}(id, "late");
        uint64 active = _active();
        VM.prank(APPELLANT);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.WrongStatus.selector, 3));
        reg.appeal{value: BOND}(active, "late");
    }

    function test_Appeal_UpheldRejectsAndPaysTheAppellant() public {
        uint64 id = _approved();
        VM.prank(APPELLANT);
        reg.appeal{value: BOND}(id, "bribe");
        VM.prank(C1);
        reg.resolveAppeal(id, true);
        _check(_status(id) == 2, "one vote is not enough");
        VM.prank(C1);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.AlreadyVoted.selector, C1));
        reg.resolveAppeal(id, false);
        VM.prank(STRANGER);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.NotCurator.selector, STRANGER));
        reg.resolveAppeal(id, true);
        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.AppealResolved(id, true);
        VM.prank(C3);
        reg.resolveAppeal(id, true);
        _check(_status(id) == 5, "rejected");
        _check(reg.credit(APPELLANT) == 2 * BOND && reg.credit(REPORTER) == 0, "bonds");
        _check(reg.entry(id).sharesPublished == 0, "nothing released");
        VM.prank(C2);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.WrongStatus.selector, 5));
        reg.resolveAppeal(id, true);
    }

    function test_Appeal_DismissedResumesTheTimelock() public {
        uint64 id = _approved();
        VM.warp(T0 + 1 days);
        VM.prank(APPELLANT);
        reg.appeal{value: BOND}(id, "weak");
        VM.warp(T0 + 2 days);
        VM.prank(C1);
        reg.resolveAppeal(id, false);
        // Two days were left when the appeal paused the entry; the day it was pending is added back.
        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.EntryTimelockStarted(id, uint64(T0 + 1 days + TIMELOCK));
        VM.prank(C2);
        reg.resolveAppeal(id, false);
        ProvenantRegistry.Entry memory e = reg.entry(id);
        _check(e.status == 1 && e.activeAfter == T0 + 1 days + TIMELOCK && e.appellant == address(0), "approved again");
        _check(reg.credit(REPORTER) == BOND, "appellant's bond to the reporter");
        // Another account may appeal in the rest of the window, at twice the bond, and the old votes are gone.
        VM.prank(STRANGER);
        reg.appeal{value: 2 * BOND}(id, "again");
        VM.prank(C1);
        reg.resolveAppeal(id, true);
    }

    function test_Appeal_OfAProposalReturnsItToProposedWhenDismissed() public {
        uint64 id = _proposeDevice();
        _approve(id, C1);
        VM.prank(APPELLANT);
        reg.appeal{value: BOND}(id, "early");
        VM.prank(C2);
        reg.resolveAppeal(id, false);
        VM.prank(C3);
        reg.resolveAppeal(id, false);
        _check(_status(id) == 0 && reg.entry(id).approvals == 1, "proposed, approvals kept");
        _approve(id, C3);
        _check(_status(id) == 1, "approved");
    }

    // ---- withdrawal ----

    function test_Withdraw_ByCuratorQuorumOfAnActiveEntry() public {
        uint64 id = _active();
        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.WithdrawVote(id, C1, "real after all");
        VM.prank(C1);
        reg.withdraw(id, "real after all");
        _check(_status(id) == 3, "one vote is not enough");
        VM.prank(C1);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.AlreadyVoted.selector, C1));
        reg.withdraw(id, "again");
        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.EntryWithdrawn(id, "agreed");
        VM.prank(C2);
        reg.withdraw(id, "agreed");
        _check(_status(id) == 4, "withdrawn");
        _check(reg.credit(REPORTER) == BOND, "bond credited once, at activation");
        VM.prank(C3);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.WrongStatus.selector, 4));
        reg.withdraw(id, "late");
    }

    function test_Withdraw_ByTheReporterWhileProposed() public {
        uint64 id = _proposeDevice();
        VM.prank(REPORTER);
        reg.withdraw(id, "my mistake");
        _check(_status(id) == 4 && reg.credit(REPORTER) == BOND, "withdrawn, bond back");
        uint64 id2 = _approved();
        VM.prank(REPORTER);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.NotCurator.selector, REPORTER));
        reg.withdraw(id2, "too late to do alone");
        VM.prank(STRANGER);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.NotCurator.selector, STRANGER));
        reg.withdraw(id2, "not mine");
    }

    function test_Withdraw_OfAnApprovedEntryRefundsTheReporter() public {
        uint64 id = _approved();
        VM.prank(C1);
        reg.withdraw(id, "no");
        VM.prank(C3);
        reg.withdraw(id, "no");
        _check(_status(id) == 4 && reg.credit(REPORTER) == BOND, "refunded");
    }

    // ---- bonds ----

    function test_Claim_PaysExactlyOnce() public {
        _active();
        uint256 before = REPORTER.balance;
        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.BondClaimed(REPORTER, BOND);
        VM.prank(REPORTER);
        reg.claim();
        _check(REPORTER.balance == before + BOND && reg.credit(REPORTER) == 0, "paid");
        VM.prank(REPORTER);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.NothingToClaim.selector));
        reg.claim();
    }

    function test_Claim_RefusedTransferRevertsAndKeepsTheCredit() public {
        Account acct = new Account();
        VM.deal(address(acct), 0);
        uint64 id = acct.proposeCertificate{value: BOND}(reg, set, FP);
        _approve(id, C1);
        _approve(id, C2);
        VM.warp(T0 + TIMELOCK);
        reg.activate(id, bytes32(0));
        acct.setRefuse(true);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.TransferFailed.selector));
        acct.claimFrom(reg);
        _check(reg.credit(address(acct)) == BOND, "credit kept");
        acct.setRefuse(false);
        acct.claimFrom(reg);
        _check(address(acct).balance == BOND, "paid after");
    }

    // ---- separation from publishers, keys and anchors ----

    function test_CuratorsHaveNoPowerOverPublishersOrAnchors() public {
        _active();
        VM.prank(C1);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.NotPublisher.selector, C1));
        reg.authorizeKey(address(0x1234), block.timestamp, new bytes(65));
        VM.prank(C1);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.NotAuthorizedKey.selector, C1));
        reg.anchor(keccak256("root"), 1, 0);
        (,, bool registered,) = reg.publisherOf(C1);
        _check(!registered, "curators are not publishers");
    }

    function test_Gas_ProposeApproveActivate() public {
        VM.prank(REPORTER);
        uint256 g = gasleft();
        uint64 id = reg.proposeDevice{value: BOND}(set, EVIDENCE, 100, R, TAG, ESCROW, 101, "staged");
        uint256 propose = g - gasleft();
        VM.prank(C1);
        g = gasleft();
        reg.approve(id);
        uint256 approve = g - gasleft();
        _check(propose < 200_000 && approve < 60_000, "gas");
    }
}
