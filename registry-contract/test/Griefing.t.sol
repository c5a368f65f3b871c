// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {ProvenantRegistry} from "../src/ProvenantRegistry.sol";

/// @dev The forge cheatcodes these tests use (forge-std cannot be downloaded here).
interface GriefVm {
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function warp(uint256 timestamp) external;
    function deal(address account, uint256 balance) external;
    function expectRevert(bytes calldata revertData) external;
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function addr(uint256 privateKey) external pure returns (address);
}

/// @notice Griefing attacks on the registry (issue 12, item 5), each performed for real: a junk epoch key
///         activating an entry, endless appeals, a squatter authorising someone else's anchoring key.
contract GriefingTest {
    GriefVm internal constant VM = GriefVm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);
    uint256 internal constant T0 = 1_700_000_000;
    uint256 internal constant BOND = 1 ether;
    uint32 internal constant TIMELOCK = 3 days;

    address internal constant C1 = address(0xC1);
    address internal constant C2 = address(0xC2);
    address internal constant C3 = address(0xC3);
    address internal constant REPORTER = address(0xAE);
    address internal constant OWNER = address(0x0E);
    address internal constant APPELLANT = address(0xAA);
    address internal constant APPELLANT2 = address(0xAB);
    address internal constant NEWSROOM = address(0xA11CE);
    address internal constant SQUATTER = address(0xBAD);
    uint256 internal constant NEWSROOM_KEY_PK = 0xA1;

    // A capture-tag vector computed outside Solidity (Python's hmac module):
    // k = sha256("camera key, day 100"), r = sha256("evidence r"), tag = HMAC-SHA256(k, "provenant/tag/v1" ‖ r).
    bytes32 internal constant K = 0x73d0a23a425c4e7d5c420d0d30975ff329c5a58513809067324f9423219463cc;
    bytes32 internal constant R = 0x4b1bb19faec493032bfb31d8d7bd661cd94758848d589fc8bc24969310fc4d35;
    bytes32 internal constant TAG = 0x68e620881620b3e8f773148dbc7b1d8bf89a552424f269b24934dd212f8e920a;
    /// k ratcheted one day: sha256("provenant/epoch/v1" ‖ k), a real key of the camera but not the evidence's day.
    bytes32 internal constant K_NEXT_DAY = 0x9eeeb5fef9c700f1c1a0d2658b359f38b363b4176a829c0c2d0bc4d7b9a88d3b;

    ProvenantRegistry internal reg;
    uint32 internal set;

    function setUp() public {
        VM.warp(T0);
        reg = new ProvenantRegistry();
        address[] memory c = new address[](3);
        (c[0], c[1], c[2]) = (C1, C2, C3);
        set = reg.createCuratorSet("Board", c, 2, TIMELOCK, BOND, keccak256("group key"));
        VM.deal(REPORTER, 10 ether);
        VM.deal(APPELLANT, 10 ether);
        VM.deal(APPELLANT2, 10 ether);
    }

    function _check(bool condition, string memory what) internal pure {
        require(condition, what);
    }

    function _approved() internal returns (uint64 id) {
        VM.prank(REPORTER);
        id = reg.proposeDevice{value: BOND}(set, keccak256("evidence"), 100, R, TAG, keccak256("escrow"), 100, "x");
        VM.prank(C1);
        reg.approve(id);
        VM.prank(C2);
        reg.approve(id);
    }

    function _sharesOut(uint64 id) internal {
        VM.warp(reg.entry(id).activeAfter);
        VM.prank(C1);
        reg.publishShare(id, bytes32(uint256(1)), 0, 0);
        VM.prank(C2);
        reg.publishShare(id, bytes32(uint256(2)), 0, 0);
    }

    function _resolve(uint64 id, bool uphold) internal {
        VM.prank(C1);
        reg.resolveAppeal(id, uphold);
        VM.prank(C2);
        reg.resolveAppeal(id, uphold);
    }

    // ---- activate: the key must reproduce the evidence's tag ----

    /// The camera's owner races the curators' `activate` with a junk key: the entry would be Active with a
    /// key that matches nothing, dead forever. The contract checks the tag and refuses.
    function test_Attack_ActivateWithJunkKeyIsRefused() public {
        uint64 id = _approved();
        _sharesOut(id);
        bytes memory wrong = abi.encodeWithSelector(ProvenantRegistry.WrongEpochKey.selector);
        VM.prank(OWNER);
        VM.expectRevert(wrong);
        reg.activate(id, keccak256("junk"));
        // The camera's key of another day is no better: the evidence's day is what counts.
        VM.prank(OWNER);
        VM.expectRevert(wrong);
        reg.activate(id, K_NEXT_DAY);
        _check(reg.entry(id).status == 1, "still approved, still open to the real key");
        reg.activate(id, K);
        _check(reg.entry(id).status == 3 && reg.entry(id).epochKey == K, "active with the real key");
    }

    function test_EvidenceTag_MatchesHmacVector() public view {
        _check(reg.captureTag(K, R) == TAG, "HMAC-SHA256 vector");
        _check(reg.captureTag(K_NEXT_DAY, R) != TAG, "another day's key gives another tag");
    }

    // ---- appeals: one per appellant, rising bonds, no full restart ----

    /// One appellant, dismissed, appeals again and again: each time the whole timelock used to restart.
    function test_Attack_SameAppellantCannotAppealTwice() public {
        uint64 id = _approved();
        VM.prank(APPELLANT);
        reg.appeal{value: BOND}(id, "first");
        _resolve(id, false);
        VM.prank(APPELLANT);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.AlreadyAppealed.selector, APPELLANT));
        reg.appeal{value: 2 * BOND}(id, "again");
    }

    /// A fresh account does not appeal at the old price: the bond doubles with each appeal of an entry.
    function test_Attack_EachNextAppealCostsDouble() public {
        uint64 id = _approved();
        _check(reg.appealBond(id) == BOND, "first appeal at the set's bond");
        VM.prank(APPELLANT);
        reg.appeal{value: BOND}(id, "first");
        _resolve(id, false);
        _check(reg.appealBond(id) == 2 * BOND, "second at twice");
        VM.prank(APPELLANT2);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.WrongBond.selector, 2 * BOND));
        reg.appeal{value: BOND}(id, "cheap again");
        VM.prank(APPELLANT2);
        reg.appeal{value: 2 * BOND}(id, "second");
        _resolve(id, false);
        // Both dismissed appellants' bonds went to the reporter.
        _check(reg.credit(REPORTER) == 3 * BOND, "dismissed bonds to the reporter");
        _check(reg.appealBond(id) == 4 * BOND, "third at four times");
    }

    /// A dismissal resumes the timelock where the appeal paused it: the time the appeal was pending is added
    /// back, the rest of the window is not given again.
    function test_Attack_DismissalDoesNotRestartTheWholeTimelock() public {
        uint64 id = _approved();
        VM.warp(T0 + 2 days); // one day of the appeal window left
        VM.prank(APPELLANT);
        reg.appeal{value: BOND}(id, "late in the window");
        VM.warp(T0 + 2 days + 5 hours); // the curators take five hours
        _resolve(id, false);
        ProvenantRegistry.Entry memory e = reg.entry(id);
        _check(e.status == 1, "approved again");
        _check(e.activeAfter == T0 + TIMELOCK + 5 hours, "only the pending time is added back");
    }

    /// An upheld appeal pays the appellant its own (doubled) bond back and the reporter's.
    function test_AppealUpheld_RefundsTheRaisedBond() public {
        uint64 id = _approved();
        VM.prank(APPELLANT);
        reg.appeal{value: BOND}(id, "first");
        _resolve(id, false);
        VM.prank(APPELLANT2);
        reg.appeal{value: 2 * BOND}(id, "real this time");
        _resolve(id, true);
        _check(reg.entry(id).status == 5, "rejected");
        _check(reg.credit(APPELLANT2) == 3 * BOND, "own 2x bond and the reporter's");
        _check(reg.credit(REPORTER) == BOND, "first appellant's bond");
    }

    // ---- authorizeKey: proof of possession ----

    function _acceptance(uint256 pk, address publisher, uint256 deadline) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = VM.sign(pk, reg.acceptPublisherDigest(publisher, deadline));
        return abi.encodePacked(r, s, v);
    }

    /// A squatter registers, authorises the newsroom's anchoring key before the newsroom does, then revokes
    /// it: the newsroom could never use its key. The key's signature now has to name the publisher.
    function test_Attack_SquatterCannotAuthorizeSomeoneElsesKey() public {
        address key = VM.addr(NEWSROOM_KEY_PK);
        VM.prank(NEWSROOM);
        reg.registerPublisher("Newsroom", "");
        VM.prank(SQUATTER);
        reg.registerPublisher("Newsroom", "");
        // The squatter has no signature by the key; the one the key gave the newsroom (copied from the
        // mempool) names the newsroom, so it recovers to another address for the squatter.
        bytes memory sig = _acceptance(NEWSROOM_KEY_PK, NEWSROOM, T0 + 1 hours);
        VM.prank(SQUATTER);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.KeyDidNotAccept.selector, key));
        reg.authorizeKey(key, T0 + 1 hours, sig);
        bytes memory own = _acceptance(0xBAD, SQUATTER, T0 + 1 hours); // signed by the squatter's own key
        VM.prank(SQUATTER);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.KeyDidNotAccept.selector, key));
        reg.authorizeKey(key, T0 + 1 hours, own);
        // The newsroom still can.
        VM.prank(NEWSROOM);
        reg.authorizeKey(key, T0 + 1 hours, sig);
        (address publisher,,) = reg.keyInfo(key);
        _check(publisher == NEWSROOM, "the key is the newsroom's");
    }

    function test_AuthorizeKey_ExpiredAcceptanceIsRefused() public {
        VM.prank(NEWSROOM);
        reg.registerPublisher("Newsroom", "");
        bytes memory sig = _acceptance(NEWSROOM_KEY_PK, NEWSROOM, T0 + 1 hours);
        VM.warp(T0 + 1 hours + 1);
        VM.prank(NEWSROOM);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.SignatureExpired.selector));
        reg.authorizeKey(VM.addr(NEWSROOM_KEY_PK), T0 + 1 hours, sig);
    }

    // ---- duplicate publisher names ----

    function test_DuplicateNamesAreCounted() public {
        VM.prank(NEWSROOM);
        reg.registerPublisher("Daily Planet", "");
        (,,, uint32 namesakes) = reg.publisherOf(NEWSROOM);
        _check(namesakes == 0, "unique so far");
        VM.prank(SQUATTER);
        reg.registerPublisher("  daily PLANET", ""); // case and ASCII spaces do not make a new name
        (,,, namesakes) = reg.publisherOf(SQUATTER);
        _check(namesakes == 1, "the copy sees the original");
        (,,, namesakes) = reg.publisherOf(NEWSROOM);
        _check(namesakes == 1, "the original sees the copy");
        VM.prank(APPELLANT);
        reg.registerPublisher("Daily Planet Gazette", "");
        (,,, namesakes) = reg.publisherOf(APPELLANT);
        _check(namesakes == 0, "a different name");
        (,,, namesakes) = reg.publisherOf(REPORTER);
        _check(namesakes == 0, "unregistered");
    }
}
