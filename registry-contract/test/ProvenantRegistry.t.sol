// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {ProvenantRegistry} from "../src/ProvenantRegistry.sol";

/// @dev The few forge cheatcodes these tests use (forge-std cannot be downloaded here).
interface Vm {
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function warp(uint256 timestamp) external;
    function roll(uint256 blockNumber) external;
    function chainId(uint256 id) external;
    function load(address target, bytes32 slot) external view returns (bytes32);
    function expectRevert(bytes calldata revertData) external;
    function expectPartialRevert(bytes4 selector) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData, address emitter) external;
    function record() external;
    function accesses(address target) external returns (bytes32[] memory reads, bytes32[] memory writes);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function addr(uint256 privateKey) external pure returns (address);
}

contract ProvenantRegistryTest {
    Vm internal constant VM = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);
    address internal constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;

    uint256 internal constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    uint256 internal constant T0 = 1_700_000_000;
    uint256 internal constant B0 = 5_000_000;

    address internal constant ADMIN = address(0xA11CE);
    address internal constant ADMIN2 = address(0xB0B);
    address internal constant STRANGER = address(0xBAD);
    uint256 internal constant KEY_PK = 0xA1;
    uint256 internal constant KEY2_PK = 0xA2;
    uint256 internal constant GAS_KEY_PK = 0xA3; // authorised in setUp, used only by the gas test
    uint256 internal constant ROGUE_PK = 0xEE;

    // Storage slots of the registry's mappings (see README "Storage layout").
    uint256 internal constant KEYS_SLOT = 1;
    uint256 internal constant ANCHORS_SLOT = 2;

    ProvenantRegistry internal reg;
    address internal key;
    address internal key2;

    function setUp() public {
        VM.warp(T0);
        VM.roll(B0);
        reg = new ProvenantRegistry();
        key = VM.addr(KEY_PK);
        key2 = VM.addr(KEY2_PK);
        VM.startPrank(ADMIN);
        reg.registerPublisher("Newsroom", "https://newsroom.example/chronology");
        _authorize(ADMIN, KEY_PK);
        _authorize(ADMIN, GAS_KEY_PK);
        VM.stopPrank();
    }

    uint256 internal constant ACCEPT_DEADLINE = T0 + 1 hours;

    /// @dev The acceptance (proof of possession) the key `pk` gives `publisher` for `authorizeKey`. The digest
    ///      is computed here, not asked of the registry, so it checks the contract's EIP-712 encoding and makes
    ///      no call that would consume a pending prank or expectRevert.
    function _accept(uint256 pk, address publisher) internal view returns (bytes memory) {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("ProvenantRegistry"),
                keccak256("1"),
                block.chainid,
                address(reg)
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(keccak256("AcceptPublisher(address publisher,uint256 deadline)"), publisher, ACCEPT_DEADLINE)
        );
        (uint8 v, bytes32 r, bytes32 s) = VM.sign(pk, keccak256(abi.encodePacked(hex"1901", domain, structHash)));
        return abi.encodePacked(r, s, v);
    }

    /// @dev `authorizeKey` of the key `pk` by `publisher` (the pranked sender), with its acceptance.
    function _authorize(address publisher, uint256 pk) internal {
        reg.authorizeKey(VM.addr(pk), ACCEPT_DEADLINE, _accept(pk, publisher));
    }

    // ---------------------------------------------------------------------------------------------
    // Assertions and helpers
    // ---------------------------------------------------------------------------------------------

    function _check(bool condition, string memory what) internal pure {
        require(condition, what);
    }

    function _log(string memory label, uint256 value) internal view {
        (bool ok,) = CONSOLE.staticcall(abi.encodeWithSignature("log(string,uint256)", label, value));
        _check(ok, "console.log failed");
    }

    function _leaf(bytes memory data) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x00), data));
    }

    function _node(bytes32 left, bytes32 right) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x01), left, right));
    }

    function _leafData(uint256 i) internal pure returns (bytes memory) {
        return abi.encodePacked("entry-", i);
    }

    function _leaves(uint256 n) internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) {
            leaves[i] = _leaf(_leafData(i));
        }
    }

    /// @dev Replaces the first `width` entries of `level` with the level above; returns its width.
    function _up(bytes32[] memory level, uint256 width) internal pure returns (uint256) {
        for (uint256 j = 0; j < width / 2; j++) {
            level[j] = _node(level[2 * j], level[2 * j + 1]);
        }
        if (width % 2 == 1) level[width / 2] = level[width - 1]; // odd node promoted unchanged
        return width - width / 2;
    }

    function _copy(bytes32[] memory a) internal pure returns (bytes32[] memory b) {
        b = new bytes32[](a.length);
        for (uint256 i = 0; i < a.length; i++) {
            b[i] = a[i];
        }
    }

    function _root(bytes32[] memory leaves) internal pure returns (bytes32) {
        bytes32[] memory level = _copy(leaves);
        uint256 width = level.length;
        while (width > 1) {
            width = _up(level, width);
        }
        return level[0];
    }

    function _proof(bytes32[] memory leaves, uint256 index) internal pure returns (bytes32[] memory siblings) {
        bytes32[] memory level = _copy(leaves);
        bytes32[] memory found = new bytes32[](64);
        uint256 k = 0;
        uint256 width = level.length;
        uint256 i = index;
        while (width > 1) {
            if ((i ^ 1) < width) found[k++] = level[i ^ 1];
            width = _up(level, width);
            i /= 2;
        }
        siblings = new bytes32[](k);
        for (uint256 j = 0; j < k; j++) {
            siblings[j] = found[j];
        }
    }

    function _with(bytes32[] memory a, bytes32 extra) internal pure returns (bytes32[] memory b) {
        b = new bytes32[](a.length + 1);
        for (uint256 i = 0; i < a.length; i++) {
            b[i] = a[i];
        }
        b[a.length] = extra;
    }

    function _withoutLast(bytes32[] memory a) internal pure returns (bytes32[] memory b) {
        b = new bytes32[](a.length - 1);
        for (uint256 i = 0; i < b.length; i++) {
            b[i] = a[i];
        }
    }

    function _anchorAs(address k, bytes32 root, uint64 leafCount) internal {
        VM.prank(k);
        reg.anchor(root, leafCount, keccak256("meta"));
    }

    function _sign(uint256 pk, bytes32 root, uint64 leafCount, bytes32 metaHash, uint256 deadline)
        internal
        view
        returns (bytes memory)
    {
        (uint8 v, bytes32 r, bytes32 s) = VM.sign(pk, reg.anchorDigest(root, leafCount, metaHash, deadline));
        return abi.encodePacked(r, s, v);
    }

    /// @dev Whether `data` is included under ADMIN's anchor of `root`.
    function _included(bytes memory data, uint64 index, uint64 leafCount, bytes32[] memory siblings, bytes32 root)
        internal
        view
        returns (bool)
    {
        return _includedFor(ADMIN, data, index, leafCount, siblings, root);
    }

    function _includedFor(
        address publisher,
        bytes memory data,
        uint64 index,
        uint64 leafCount,
        bytes32[] memory siblings,
        bytes32 root
    ) internal view returns (bool included) {
        (included,,,,,) = reg.verifyLeaf(publisher, data, index, leafCount, siblings, root);
    }

    /// @dev Storage slot of `publisher`'s anchor of `root`: `_anchors[keccak256(abi.encode(publisher, root))]`.
    function _anchorSlot(address publisher, bytes32 root) internal pure returns (bytes32) {
        return keccak256(abi.encode(keccak256(abi.encode(publisher, root)), ANCHORS_SLOT));
    }

    /// @dev Registers ADMIN2 as a second publisher ("Wire") and authorises `k` for it.
    function _registerWire(uint256 pk) internal {
        VM.startPrank(ADMIN2);
        reg.registerPublisher("Wire", "");
        _authorize(ADMIN2, pk);
        VM.stopPrank();
    }

    // ---------------------------------------------------------------------------------------------
    // Publishers
    // ---------------------------------------------------------------------------------------------

    function test_RegisterPublisher_StoresAndEmits() public {
        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.PublisherRegistered(ADMIN2, "Wire", "https://wire.example/c");
        VM.prank(ADMIN2);
        reg.registerPublisher("Wire", "https://wire.example/c");
        (string memory name, string memory endpoint, bool registered,) = reg.publisherOf(ADMIN2);
        _check(keccak256(bytes(name)) == keccak256("Wire"), "name");
        _check(keccak256(bytes(endpoint)) == keccak256("https://wire.example/c"), "endpoint");
        _check(registered, "registered");
    }

    function test_RegisterPublisher_EmptyEndpointAllowed() public {
        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.PublisherRegistered(ADMIN2, "Wire", "");
        VM.prank(ADMIN2);
        reg.registerPublisher("Wire", "");
        (, string memory endpoint, bool registered,) = reg.publisherOf(ADMIN2);
        _check(bytes(endpoint).length == 0 && registered, "registered without endpoint");
    }

    function test_RevertWhen_RegisterEmptyName() public {
        VM.prank(ADMIN2);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.EmptyName.selector));
        reg.registerPublisher("", "https://x.example");
    }

    function test_RevertWhen_RegisterTwice() public {
        VM.prank(ADMIN);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.AlreadyRegistered.selector, ADMIN));
        reg.registerPublisher("Newsroom again", "");
    }

    function test_PublisherOf_Unregistered() public view {
        (string memory name, string memory endpoint, bool registered,) = reg.publisherOf(STRANGER);
        _check(bytes(name).length == 0 && bytes(endpoint).length == 0 && !registered, "unregistered");
    }

    function test_SetEndpoint_ChangesAndEmits() public {
        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.EndpointChanged(ADMIN, "https://new.example/c");
        VM.prank(ADMIN);
        reg.setEndpoint("https://new.example/c");
        (string memory name, string memory endpoint, bool registered,) = reg.publisherOf(ADMIN);
        _check(keccak256(bytes(endpoint)) == keccak256("https://new.example/c"), "endpoint changed");
        _check(keccak256(bytes(name)) == keccak256("Newsroom") && registered, "name kept");

        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.EndpointChanged(ADMIN, "");
        VM.prank(ADMIN);
        reg.setEndpoint("");
        (, endpoint,,) = reg.publisherOf(ADMIN);
        _check(bytes(endpoint).length == 0, "endpoint cleared");
    }

    function test_RevertWhen_SetEndpointNotPublisher() public {
        VM.prank(STRANGER);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.NotPublisher.selector, STRANGER));
        reg.setEndpoint("https://x.example");
    }

    // ---------------------------------------------------------------------------------------------
    // Keys
    // ---------------------------------------------------------------------------------------------

    function test_AuthorizeKey_RecordsAndEmits() public {
        VM.warp(T0 + 100);
        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.KeyAuthorized(ADMIN, key2);
        VM.prank(ADMIN);
        _authorize(ADMIN, KEY2_PK);
        (address publisher, uint48 authorizedAt, uint48 compromisedSince) = reg.keyInfo(key2);
        _check(publisher == ADMIN, "publisher");
        _check(authorizedAt == T0 + 100, "authorizedAt");
        _check(compromisedSince == 0, "not revoked");
    }

    function test_KeyInfo_Unknown() public view {
        (address publisher, uint48 authorizedAt, uint48 compromisedSince) = reg.keyInfo(STRANGER);
        _check(publisher == address(0) && authorizedAt == 0 && compromisedSince == 0, "unknown key");
    }

    function test_KeyRecord_IsOnePackedSlot() public {
        VM.warp(T0 + 7);
        VM.prank(ADMIN);
        reg.revokeKey(key, uint48(T0 + 3));
        uint256 word = uint256(VM.load(address(reg), keccak256(abi.encode(key, KEYS_SLOT))));
        _check(address(uint160(word)) == ADMIN, "publisher in low 160 bits");
        _check(uint48(word >> 160) == T0, "authorizedAt in bits 160..207");
        _check(uint48(word >> 208) == T0 + 3, "compromisedSince in bits 208..255");
    }

    function test_RevertWhen_AuthorizeKeyNotPublisher() public {
        VM.prank(STRANGER);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.NotPublisher.selector, STRANGER));
        _authorize(STRANGER, KEY2_PK);
    }

    function test_RevertWhen_AuthorizeZeroKey() public {
        VM.prank(ADMIN);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.ZeroKey.selector));
        reg.authorizeKey(address(0), ACCEPT_DEADLINE, _accept(KEY2_PK, ADMIN));
    }

    function test_RevertWhen_AuthorizeKeyTwice() public {
        VM.prank(ADMIN);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.KeyInUse.selector, key));
        _authorize(ADMIN, KEY_PK);
    }

    function test_RevertWhen_AuthorizeKeyOfAnotherPublisher() public {
        VM.startPrank(ADMIN2);
        reg.registerPublisher("Wire", "");
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.KeyInUse.selector, key));
        _authorize(ADMIN2, KEY_PK);
        VM.stopPrank();
        (address publisher,,) = reg.keyInfo(key);
        _check(publisher == ADMIN, "key stays with its publisher");
    }

    function test_RevertWhen_ReauthorizeRevokedKey() public {
        VM.startPrank(ADMIN);
        reg.revokeKey(key, uint48(T0));
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.KeyInUse.selector, key));
        _authorize(ADMIN, KEY_PK);
        VM.stopPrank();
        (,, uint48 compromisedSince) = reg.keyInfo(key);
        _check(compromisedSince == T0, "revocation stands");
    }

    function test_RevokeKey_RecordsAndEmits() public {
        VM.warp(T0 + 50);
        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.KeyRevoked(ADMIN, key, uint48(T0 + 10));
        VM.prank(ADMIN);
        reg.revokeKey(key, uint48(T0 + 10));
        (address publisher, uint48 authorizedAt, uint48 compromisedSince) = reg.keyInfo(key);
        _check(publisher == ADMIN && authorizedAt == T0, "record kept");
        _check(compromisedSince == T0 + 10, "compromisedSince");
    }

    function test_RevokeKey_AtCurrentTime() public {
        VM.prank(ADMIN);
        reg.revokeKey(key, uint48(block.timestamp));
        (,, uint48 compromisedSince) = reg.keyInfo(key);
        _check(compromisedSince == block.timestamp, "now is allowed");
    }

    function test_RevertWhen_RevokeByAnotherPublisher() public {
        VM.startPrank(ADMIN2);
        reg.registerPublisher("Wire", "");
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.NotKeyPublisher.selector, key));
        reg.revokeKey(key, uint48(T0));
        VM.stopPrank();
    }

    function test_RevertWhen_RevokeByTheKeyItself() public {
        VM.prank(key);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.NotKeyPublisher.selector, key));
        reg.revokeKey(key, uint48(T0));
    }

    function test_RevertWhen_RevokeUnknownKey() public {
        VM.prank(ADMIN);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.NotKeyPublisher.selector, key2));
        reg.revokeKey(key2, uint48(T0));
    }

    function test_RevertWhen_RevokeZeroAddressByUnregistered() public {
        // The zero address has no record whose publisher could be the (zero-filled) caller.
        VM.prank(address(0));
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.NotKeyPublisher.selector, address(0)));
        reg.revokeKey(address(0), uint48(T0));
    }

    function test_RevertWhen_RevokeAtZeroTime() public {
        VM.prank(ADMIN);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.InvalidCompromiseTime.selector));
        reg.revokeKey(key, 0);
    }

    function test_RevertWhen_RevokeInTheFuture() public {
        VM.prank(ADMIN);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.InvalidCompromiseTime.selector));
        reg.revokeKey(key, uint48(T0 + 1));
    }

    function test_RevokeKey_TightenAllowed() public {
        VM.warp(T0 + 100);
        VM.startPrank(ADMIN);
        reg.revokeKey(key, uint48(T0 + 80));
        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.KeyRevoked(ADMIN, key, uint48(T0 + 20));
        reg.revokeKey(key, uint48(T0 + 20));
        // Repeating the same time is not a loosening.
        reg.revokeKey(key, uint48(T0 + 20));
        VM.stopPrank();
        (,, uint48 compromisedSince) = reg.keyInfo(key);
        _check(compromisedSince == T0 + 20, "moved earlier");
    }

    function test_RevertWhen_RevocationLoosened() public {
        VM.warp(T0 + 100);
        VM.startPrank(ADMIN);
        reg.revokeKey(key, uint48(T0 + 20));
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.CannotLoosenRevocation.selector));
        reg.revokeKey(key, uint48(T0 + 21));
        VM.stopPrank();
        (,, uint48 compromisedSince) = reg.keyInfo(key);
        _check(compromisedSince == T0 + 20, "unchanged");
    }

    function test_Revocation_EarlierAnchorsStayTrusted() public {
        bytes32 r1 = keccak256("r1");
        bytes32 r2 = keccak256("r2");
        bytes32 r3 = keccak256("r3");
        VM.warp(T0 + 10);
        _anchorAs(key, r1, 1);
        VM.warp(T0 + 20);
        _anchorAs(key, r2, 1);
        VM.warp(T0 + 30);
        _anchorAs(key, r3, 1);

        VM.prank(ADMIN);
        reg.revokeKey(key, uint48(T0 + 20));
        bool trusted;
        (,,,,,, trusted) = reg.anchorOf(ADMIN, r1);
        _check(trusted, "anchor before compromisedSince stays trusted");
        (,,,,,, trusted) = reg.anchorOf(ADMIN, r2);
        _check(!trusted, "anchor at compromisedSince is distrusted");
        (,,,,,, trusted) = reg.anchorOf(ADMIN, r3);
        _check(!trusted, "anchor after compromisedSince is distrusted");

        // verifyLeaf reports the same trust (single-leaf batches: root = the leaf hash).
        bytes32 single = _leaf("only");
        VM.prank(ADMIN);
        _authorize(ADMIN, KEY2_PK);
        VM.warp(T0 + 40);
        _anchorAs(key2, single, 1);
        VM.warp(T0 + 50);
        VM.prank(ADMIN);
        reg.revokeKey(key2, uint48(T0 + 41));
        (bool included,,,,, bool keyTrusted) = reg.verifyLeaf(ADMIN, "only", 0, 1, new bytes32[](0), single);
        _check(included && keyTrusted, "leaf anchored before compromise is trusted");

        // Tightening to before r1 distrusts it too; loosening back is refused.
        VM.startPrank(ADMIN);
        reg.revokeKey(key, uint48(T0 + 10));
        (,,,,,, trusted) = reg.anchorOf(ADMIN, r1);
        _check(!trusted, "tightened revocation distrusts r1");
        reg.revokeKey(key2, uint48(T0 + 40));
        (included,,,,, keyTrusted) = reg.verifyLeaf(ADMIN, "only", 0, 1, new bytes32[](0), single);
        _check(included && !keyTrusted, "tightened revocation distrusts the leaf");
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.CannotLoosenRevocation.selector));
        reg.revokeKey(key, uint48(T0 + 20));
        VM.stopPrank();
    }

    // ---------------------------------------------------------------------------------------------
    // anchor
    // ---------------------------------------------------------------------------------------------

    function test_Anchor_StoresAndEmits() public {
        bytes32 root = keccak256("batch");
        bytes32 meta = keccak256("meta");
        VM.warp(T0 + 5);
        VM.roll(B0 + 3);
        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.Anchored(root, ADMIN, key, 42, meta);
        VM.prank(key);
        reg.anchor(root, 42, meta);
        (
            bool anchored,
            address k,
            address publisher,
            uint64 time,
            uint64 blockNumber,
            uint64 leafCount,
            bool keyTrusted
        ) = reg.anchorOf(ADMIN, root);
        _check(anchored && k == key && publisher == ADMIN, "who");
        _check(time == T0 + 5 && blockNumber == B0 + 3 && leafCount == 42, "when and how many");
        _check(keyTrusted, "trusted");
    }

    function test_AnchorRecord_IsOnePackedSlot() public {
        bytes32 root = keccak256("batch");
        VM.warp(T0 + 5);
        VM.roll(B0 + 3);
        _anchorAs(key, root, 0xABCDEF);
        uint256 word = uint256(VM.load(address(reg), _anchorSlot(ADMIN, root)));
        _check(address(uint160(word)) == key, "key in low 160 bits");
        _check(uint40(word >> 160) == T0 + 5, "time in bits 160..199");
        _check(uint32(word >> 200) == B0 + 3, "blockNumber in bits 200..231");
        _check(uint24(word >> 232) == 0xABCDEF, "leafCount in bits 232..255");
        // The metaHash is emitted, not stored: the next slot is empty.
        bytes32 next = VM.load(address(reg), bytes32(uint256(_anchorSlot(ADMIN, root)) + 1));
        _check(next == bytes32(0), "one slot per anchor");
        // Keyed by (publisher, root): nothing at the slot of the root alone (the old layout).
        _check(VM.load(address(reg), keccak256(abi.encode(root, ANCHORS_SLOT))) == bytes32(0), "not keyed by root");
    }

    function _checkTouchesTwoSlots(bytes32 root) internal {
        (bytes32[] memory reads, bytes32[] memory writes) = VM.accesses(address(reg));
        bytes32 keySlot = keccak256(abi.encode(key, KEYS_SLOT));
        bytes32 anchorSlot = _anchorSlot(ADMIN, root);
        // forge lists an SSTORE among the reads too: key SLOAD, anchor SLOAD, anchor SSTORE.
        _check(reads.length == 3 && reads[0] == keySlot, "one read of the key record");
        _check(reads[1] == anchorSlot && reads[2] == anchorSlot, "one read of the anchor slot");
        _check(writes.length == 1 && writes[0] == anchorSlot, "one write: the anchor slot");
    }

    function test_Anchor_TouchesTwoSlots() public {
        bytes32 root = keccak256("lean");
        VM.record();
        _anchorAs(key, root, 1000);
        _checkTouchesTwoSlots(root);
    }

    function test_AnchorSigned_TouchesTwoSlots() public {
        bytes32 root = keccak256("lean");
        bytes memory sig = _sign(KEY_PK, root, 1000, bytes32(0), T0);
        VM.record();
        reg.anchorSigned(root, 1000, bytes32(0), T0, sig);
        _checkTouchesTwoSlots(root);
    }

    function test_AnchorOf_Unanchored() public view {
        (
            bool anchored,
            address k,
            address publisher,
            uint64 time,
            uint64 blockNumber,
            uint64 leafCount,
            bool keyTrusted
        ) = reg.anchorOf(ADMIN, keccak256("nothing"));
        _check(!anchored && k == address(0) && publisher == address(0), "not anchored");
        _check(time == 0 && blockNumber == 0 && leafCount == 0 && !keyTrusted, "zeros");
    }

    function test_Anchor_MaxLeafCount() public {
        _anchorAs(key, keccak256("big"), type(uint24).max);
        (,,,,, uint64 leafCount,) = reg.anchorOf(ADMIN, keccak256("big"));
        _check(leafCount == type(uint24).max, "max leaf count");
    }

    function test_RevertWhen_AnchorByUnauthorizedSender() public {
        VM.prank(STRANGER);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.NotAuthorizedKey.selector, STRANGER));
        reg.anchor(keccak256("r"), 1, bytes32(0));
    }

    function test_RevertWhen_AnchorByPublisherAdmin() public {
        // The admin address is not a key unless it authorises itself.
        VM.prank(ADMIN);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.NotAuthorizedKey.selector, ADMIN));
        reg.anchor(keccak256("r"), 1, bytes32(0));
    }

    function test_RevertWhen_AnchorByRevokedKey() public {
        VM.prank(ADMIN);
        reg.revokeKey(key, uint48(T0));
        VM.prank(key);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.KeyIsRevoked.selector, key));
        reg.anchor(keccak256("r"), 1, bytes32(0));
    }

    function test_RevertWhen_AnchorZeroRoot() public {
        VM.prank(key);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.ZeroRoot.selector));
        reg.anchor(bytes32(0), 1, bytes32(0));
    }

    function test_RevertWhen_AnchorZeroLeaves() public {
        VM.prank(key);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.LeafCountOutOfRange.selector));
        reg.anchor(keccak256("r"), 0, bytes32(0));
    }

    function test_RevertWhen_AnchorTooManyLeaves() public {
        VM.prank(key);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.LeafCountOutOfRange.selector));
        reg.anchor(keccak256("r"), uint64(type(uint24).max) + 1, bytes32(0));
        VM.prank(key);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.LeafCountOutOfRange.selector));
        reg.anchor(keccak256("r"), type(uint64).max, bytes32(0));
    }

    function test_RevertWhen_AnchorTwice() public {
        bytes32 root = keccak256("r");
        _anchorAs(key, root, 3);
        VM.prank(key);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.AlreadyAnchored.selector, ADMIN, root));
        reg.anchor(root, 3, bytes32(0));
        VM.prank(key);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.AlreadyAnchored.selector, ADMIN, root));
        reg.anchor(root, 5, bytes32(0));

        // Nor through another key of the same publisher: duplicates are refused per publisher, not per key.
        VM.prank(ADMIN);
        _authorize(ADMIN, KEY2_PK);
        VM.prank(key2);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.AlreadyAnchored.selector, ADMIN, root));
        reg.anchor(root, 5, bytes32(0));
        (, address k,,,, uint64 leafCount,) = reg.anchorOf(ADMIN, root);
        _check(k == key && leafCount == 3, "first anchor stands");
    }

    function test_Anchor_TwoPublishersSameRootIndependently() public {
        bytes32 root = keccak256("shared");
        bytes32 meta = keccak256("meta");
        _registerWire(KEY2_PK);
        VM.warp(T0 + 1);
        VM.roll(B0 + 1);
        _anchorAs(key, root, 3);
        VM.warp(T0 + 2);
        VM.roll(B0 + 2);
        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.Anchored(root, ADMIN2, key2, 7, meta);
        _anchorAs(key2, root, 7);

        (bool anchored, address k, address publisher, uint64 time, uint64 blockNumber, uint64 leafCount, bool ok) =
            reg.anchorOf(ADMIN, root);
        _check(anchored && k == key && publisher == ADMIN && ok, "ADMIN's anchor");
        _check(time == T0 + 1 && blockNumber == B0 + 1 && leafCount == 3, "ADMIN's record");
        (anchored, k, publisher, time, blockNumber, leafCount, ok) = reg.anchorOf(ADMIN2, root);
        _check(anchored && k == key2 && publisher == ADMIN2 && ok, "ADMIN2's anchor");
        _check(time == T0 + 2 && blockNumber == B0 + 2 && leafCount == 7, "ADMIN2's record");
        _check(_anchorSlot(ADMIN, root) != _anchorSlot(ADMIN2, root), "two slots");

        // Each is still refused a second time, with its own publisher in the error.
        VM.prank(key2);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.AlreadyAnchored.selector, ADMIN2, root));
        reg.anchor(root, 7, bytes32(0));

        // A third address that anchored nothing sees nothing.
        (anchored, k, publisher,,,,) = reg.anchorOf(STRANGER, root);
        _check(!anchored && k == address(0) && publisher == address(0), "no anchor by STRANGER");
    }

    /// @dev Every leaf of `leaves` verifies under ADMIN (with `key`) and not under `other`.
    function _checkOursNotTheirs(bytes32[] memory leaves, bytes32 root, address other) internal view {
        uint64 n = uint64(leaves.length);
        for (uint256 i = 0; i < n; i++) {
            bytes32[] memory sib = _proof(leaves, i);
            (bool included,,, address publisher, address k,) =
                reg.verifyLeaf(ADMIN, _leafData(i), uint64(i), n, sib, root);
            _check(included && publisher == ADMIN && k == key, "our leaves verify under us");
            _check(!_includedFor(other, _leafData(i), uint64(i), n, sib, root), "not under the other publisher");
        }
    }

    function test_FrontRunning_AttackerAnchoringOurRootFirstDoesNotBlockUs() public {
        // Our batch: 5 leaves. The attacker sees `anchor(root, 5, meta)` in the mempool, registers as a
        // publisher (anyone may, even under our display name), authorises a key and gets the same root in
        // first, with another leafCount.
        uint256 n = 5;
        bytes32[] memory leaves = _leaves(n);
        bytes32 root = _root(leaves);
        address attacker = address(0xA77AC);
        address attackerKey = VM.addr(ROGUE_PK);
        VM.startPrank(attacker);
        reg.registerPublisher("Newsroom", "https://newsroom.example.evil/chronology");
        _authorize(attacker, ROGUE_PK);
        VM.stopPrank();
        VM.warp(T0 + 1);
        VM.roll(B0 + 1);
        _anchorAs(attackerKey, root, 1); // the front-run, one block earlier, with another leafCount

        // Ours goes through in the next block and is credited to us.
        VM.warp(T0 + 2);
        VM.roll(B0 + 2);
        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.Anchored(root, ADMIN, key, uint64(n), keccak256("meta"));
        _anchorAs(key, root, uint64(n));
        (bool anchored, address k, address publisher, uint64 time,, uint64 leafCount,) = reg.anchorOf(ADMIN, root);
        _check(anchored && k == key && publisher == ADMIN, "our anchor, our key");
        _check(time == T0 + 2 && leafCount == n, "our record");

        // Verifiers ask about the publisher they expect: ours verifies, the attacker's is a separate record
        // that cannot vouch for our leaves (wrong leafCount), and ours is not theirs.
        _checkOursNotTheirs(leaves, root, attacker);
        (, k, publisher, time,, leafCount,) = reg.anchorOf(attacker, root);
        _check(k == attackerKey && publisher == attacker && time == T0 + 1 && leafCount == 1, "attacker's own");

        // The attacker's duplicate protection is its own: it cannot anchor the root again either.
        VM.prank(attackerKey);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.AlreadyAnchored.selector, attacker, root));
        reg.anchor(root, uint64(n), bytes32(0));
    }

    function test_FrontRunning_RelayedSignatureCopiedByAttackerIsStillOurs() public {
        // Copying our signed anchor out of the mempool and relaying it first only anchors it for us.
        bytes32 root = keccak256("signed");
        bytes memory sig = _sign(KEY_PK, root, 4, bytes32(0), T0 + 60);
        address attacker = address(0xA77AC);
        VM.startPrank(attacker);
        reg.registerPublisher("Evil", "");
        _authorize(attacker, ROGUE_PK);
        VM.stopPrank();
        VM.prank(attacker);
        reg.anchorSigned(root, 4, bytes32(0), T0 + 60, sig);
        (bool anchored, address k, address publisher,,,,) = reg.anchorOf(ADMIN, root);
        _check(anchored && k == key && publisher == ADMIN, "credited to the signer's publisher");
        (anchored,,,,,,) = reg.anchorOf(attacker, root);
        _check(!anchored, "nothing for the relayer");
        // Our own relay then fails harmlessly as a replay.
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.AlreadyAnchored.selector, ADMIN, root));
        reg.anchorSigned(root, 4, bytes32(0), T0 + 60, sig);
    }

    function _anchorGas(address k, bytes32 root, uint64 leafCount) internal returns (uint256 used) {
        bytes32 meta = keccak256("meta");
        VM.prank(k);
        uint256 before = gasleft();
        reg.anchor(root, leafCount, meta);
        used = before - gasleft();
    }

    /// @dev Informational: gas of the `anchor` call itself (no 21000 base, no calldata) in a plain run, of the
    ///      whole transaction under `forge test --isolate`; the real figure is measured on anvil by the Rust side.
    function test_Gas_AnchorIndependentOfLeafCount() public {
        // A state-changing call first, so both measurements start alike (warm registry account here;
        // under --isolate/--gas-report each call is its own transaction and the first one costs more).
        VM.prank(ADMIN);
        reg.setEndpoint("https://newsroom.example/chronology");
        // Two keys authorised in setUp, so each measurement reads a cold key slot and writes a fresh anchor slot.
        uint256 small = _anchorGas(key, keccak256("gas-1"), 1);
        uint256 large = _anchorGas(VM.addr(GAS_KEY_PK), keccak256("gas-100000"), 100_000);
        _log("anchor call gas, leafCount 1:", small);
        _log("anchor call gas, leafCount 100000:", large);
        // Equal in a plain run; under --isolate the figures are whole transactions, and 100000 costs two more
        // non-zero calldata bytes (24 gas).
        uint256 diff = small > large ? small - large : large - small;
        _check(diff <= 24, "gas does not depend on leafCount");
        _check(large < 60_000, "anchor stays under 60k even counted as a whole transaction");
    }

    // ---------------------------------------------------------------------------------------------
    // anchorSigned (EIP-712)
    // ---------------------------------------------------------------------------------------------

    function test_DomainSeparatorAndDigest() public {
        bytes32 expected = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("ProvenantRegistry"),
                keccak256("1"),
                block.chainid,
                address(reg)
            )
        );
        _check(reg.domainSeparator() == expected, "domain separator");
        _check(
            reg.ANCHOR_TYPEHASH()
                == keccak256("Anchor(bytes32 root,uint64 leafCount,bytes32 metaHash,uint256 deadline)"),
            "type hash"
        );
        bytes32 structHash =
            keccak256(abi.encode(reg.ANCHOR_TYPEHASH(), keccak256("r"), uint64(7), keccak256("m"), uint256(T0 + 60)));
        _check(
            reg.anchorDigest(keccak256("r"), 7, keccak256("m"), T0 + 60)
                == keccak256(abi.encodePacked(hex"1901", expected, structHash)),
            "digest"
        );

        // After a chain split the separator follows the new chain id.
        VM.chainId(80002);
        bytes32 forked = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("ProvenantRegistry"),
                keccak256("1"),
                uint256(80002),
                address(reg)
            )
        );
        _check(reg.domainSeparator() == forked, "separator follows chain id");
    }

    function test_AnchorSigned_RelayedByAnyone() public {
        bytes32 root = keccak256("signed");
        bytes32 meta = keccak256("meta");
        uint256 deadline = T0 + 600;
        bytes memory sig = _sign(KEY_PK, root, 9, meta, deadline);
        VM.roll(B0 + 1);
        VM.expectEmit(true, true, true, true, address(reg));
        emit ProvenantRegistry.Anchored(root, ADMIN, key, 9, meta);
        VM.prank(STRANGER);
        reg.anchorSigned(root, 9, meta, deadline, sig);
        (bool anchored, address k, address publisher, uint64 time, uint64 blockNumber, uint64 leafCount, bool ok) =
            reg.anchorOf(ADMIN, root);
        _check(anchored && k == key && publisher == ADMIN, "signer is the key");
        _check(time == T0 && blockNumber == B0 + 1 && leafCount == 9 && ok, "record");
    }

    function test_AnchorSigned_AtDeadline() public {
        bytes32 root = keccak256("signed");
        bytes memory sig = _sign(KEY_PK, root, 1, bytes32(0), T0);
        reg.anchorSigned(root, 1, bytes32(0), T0, sig);
        (bool anchored,,,,,,) = reg.anchorOf(ADMIN, root);
        _check(anchored, "deadline is inclusive");
    }

    function test_RevertWhen_AnchorSignedExpired() public {
        bytes32 root = keccak256("signed");
        bytes memory sig = _sign(KEY_PK, root, 1, bytes32(0), T0 + 10);
        VM.warp(T0 + 11);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.SignatureExpired.selector));
        reg.anchorSigned(root, 1, bytes32(0), T0 + 10, sig);
    }

    function test_RevertWhen_AnchorSignedBadLength() public {
        bytes32 root = keccak256("signed");
        (uint8 v, bytes32 r, bytes32 s) = VM.sign(KEY_PK, reg.anchorDigest(root, 1, bytes32(0), T0));
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.InvalidSignature.selector));
        reg.anchorSigned(root, 1, bytes32(0), T0, abi.encodePacked(r, s)); // 64 bytes (no EIP-2098)
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.InvalidSignature.selector));
        reg.anchorSigned(root, 1, bytes32(0), T0, abi.encodePacked(r, s, v, uint8(0))); // 66 bytes
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.InvalidSignature.selector));
        reg.anchorSigned(root, 1, bytes32(0), T0, "");
    }

    function test_RevertWhen_AnchorSignedHighS() public {
        bytes32 root = keccak256("signed");
        (uint8 v, bytes32 r, bytes32 s) = VM.sign(KEY_PK, reg.anchorDigest(root, 1, bytes32(0), T0));
        // The malleable twin (n - s, flipped v) recovers the same key, and must still be refused.
        bytes32 highS = bytes32(SECP256K1_N - uint256(s));
        uint8 flippedV = v == 27 ? 28 : 27;
        _check(ecrecover(reg.anchorDigest(root, 1, bytes32(0), T0), flippedV, r, highS) == key, "twin recovers");
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.InvalidSignature.selector));
        reg.anchorSigned(root, 1, bytes32(0), T0, abi.encodePacked(r, highS, flippedV));
    }

    function test_RevertWhen_AnchorSignedWrongV() public {
        bytes32 root = keccak256("signed");
        (uint8 v, bytes32 r, bytes32 s) = VM.sign(KEY_PK, reg.anchorDigest(root, 1, bytes32(0), T0));
        uint8[3] memory bad = [uint8(v - 27), uint8(29), uint8(v + 8)];
        for (uint256 i = 0; i < bad.length; i++) {
            VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.InvalidSignature.selector));
            reg.anchorSigned(root, 1, bytes32(0), T0, abi.encodePacked(r, s, bad[i]));
        }
    }

    function test_RevertWhen_AnchorSignedRecoversZero() public {
        bytes32 root = keccak256("signed");
        // r = 0 is not a curve point: ecrecover returns the zero address.
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.InvalidSignature.selector));
        reg.anchorSigned(root, 1, bytes32(0), T0, abi.encodePacked(bytes32(0), bytes32(uint256(1)), uint8(27)));
    }

    function test_RevertWhen_AnchorSignedByUnauthorizedKey() public {
        bytes32 root = keccak256("signed");
        bytes memory sig = _sign(ROGUE_PK, root, 1, bytes32(0), T0);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.NotAuthorizedKey.selector, VM.addr(ROGUE_PK)));
        reg.anchorSigned(root, 1, bytes32(0), T0, sig);
    }

    function test_RevertWhen_AnchorSignedByRevokedKey() public {
        bytes32 root = keccak256("signed");
        bytes memory sig = _sign(KEY_PK, root, 1, bytes32(0), T0);
        VM.prank(ADMIN);
        reg.revokeKey(key, uint48(T0));
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.KeyIsRevoked.selector, key));
        reg.anchorSigned(root, 1, bytes32(0), T0, sig);
    }

    function test_RevertWhen_AnchorSignedFieldsTampered() public {
        bytes32 root = keccak256("signed");
        bytes memory sig = _sign(KEY_PK, root, 1, bytes32(0), T0 + 60);
        // Any changed field recovers some other address, which is not an authorised key.
        VM.expectPartialRevert(ProvenantRegistry.NotAuthorizedKey.selector);
        reg.anchorSigned(root, 2, bytes32(0), T0 + 60, sig);
        VM.expectPartialRevert(ProvenantRegistry.NotAuthorizedKey.selector);
        reg.anchorSigned(root, 1, keccak256("other meta"), T0 + 60, sig);
        VM.expectPartialRevert(ProvenantRegistry.NotAuthorizedKey.selector);
        reg.anchorSigned(root, 1, bytes32(0), T0 + 61, sig);
        VM.expectPartialRevert(ProvenantRegistry.NotAuthorizedKey.selector);
        reg.anchorSigned(keccak256("other root"), 1, bytes32(0), T0 + 60, sig);
    }

    function test_RevertWhen_AnchorSignedOnAnotherChain() public {
        bytes32 root = keccak256("signed");
        bytes memory sig = _sign(KEY_PK, root, 1, bytes32(0), T0);
        VM.chainId(137);
        VM.expectPartialRevert(ProvenantRegistry.NotAuthorizedKey.selector);
        reg.anchorSigned(root, 1, bytes32(0), T0, sig);
    }

    function test_RevertWhen_AnchorSignedReplayed() public {
        bytes32 root = keccak256("signed");
        bytes memory sig = _sign(KEY_PK, root, 1, bytes32(0), T0 + 60);
        reg.anchorSigned(root, 1, bytes32(0), T0 + 60, sig);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.AlreadyAnchored.selector, ADMIN, root));
        reg.anchorSigned(root, 1, bytes32(0), T0 + 60, sig);
    }

    function test_RevertWhen_AnchorSignedZeroRootOrBadCount() public {
        bytes memory sig = _sign(KEY_PK, bytes32(0), 1, bytes32(0), T0);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.ZeroRoot.selector));
        reg.anchorSigned(bytes32(0), 1, bytes32(0), T0, sig);
        sig = _sign(KEY_PK, keccak256("r"), 0, bytes32(0), T0);
        VM.expectRevert(abi.encodeWithSelector(ProvenantRegistry.LeafCountOutOfRange.selector));
        reg.anchorSigned(keccak256("r"), 0, bytes32(0), T0, sig);
    }

    // ---------------------------------------------------------------------------------------------
    // Merkle hashing and verifyLeaf
    // ---------------------------------------------------------------------------------------------

    function test_LeafAndNodeHashVectors() public view {
        // Same vectors as core/src/merkle.rs (computed independently with Python's hashlib).
        _check(
            reg.leafHash("") == 0x6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d, "leafHash(empty)"
        );
        bytes32 a = reg.leafHash("a");
        bytes32 b = reg.leafHash("b");
        bytes32 c = reg.leafHash("c");
        _check(a == 0x022a6979e6dab7aa5ae4c3e5e45f7e977112a7e63593820dbec1ec738a24f93c, "leafHash(a)");
        _check(b == 0x57eb35615d47f34ec714cacdf5fd74608a5e8e102724e80b24b287c0c27b6a31, "leafHash(b)");
        _check(c == 0x597fcb31282d34654c200d3418fca5705c648ebf326ec73d8ddef11841f876d8, "leafHash(c)");
        bytes32 ab = reg.nodeHash(a, b);
        _check(ab == 0xb137985ff484fb600db93107c77b0365c80d78f5b429ded0fd97361d077999eb, "nodeHash(a, b)");
        _check(
            reg.nodeHash(ab, c) == 0x36642e73c2540ab121e3a6bf9545b0a24982cd830eb13d3cd19de3ce6c021ec1, "root(a, b, c)"
        );
        _check(reg.leafHash("xyz") == _leaf("xyz") && reg.nodeHash(a, c) == _node(a, c), "helpers agree");
        _check(reg.nodeHash(a, b) != reg.nodeHash(b, a), "order matters");
    }

    function test_VerifyLeaf_Vector3() public {
        bytes32 root = 0x36642e73c2540ab121e3a6bf9545b0a24982cd830eb13d3cd19de3ce6c021ec1;
        VM.warp(T0 + 9);
        VM.roll(B0 + 2);
        _anchorAs(key, root, 3);
        bytes32[] memory sib = new bytes32[](1);
        sib[0] = 0xb137985ff484fb600db93107c77b0365c80d78f5b429ded0fd97361d077999eb;
        (bool included, uint64 time, uint64 blockNumber, address publisher, address k, bool keyTrusted) =
            reg.verifyLeaf(ADMIN, "c", 2, 3, sib, root);
        _check(included && keyTrusted, "c is leaf 2 (promoted once)");
        _check(time == T0 + 9 && blockNumber == B0 + 2 && publisher == ADMIN && k == key, "anchor details");

        bytes32[] memory pathA = new bytes32[](2);
        pathA[0] = 0x57eb35615d47f34ec714cacdf5fd74608a5e8e102724e80b24b287c0c27b6a31;
        pathA[1] = 0x597fcb31282d34654c200d3418fca5705c648ebf326ec73d8ddef11841f876d8;
        _check(_included("a", 0, 3, pathA, root), "a is leaf 0");
        _check(!_included("a", 1, 3, pathA, root), "a is not leaf 1");
    }

    function _checkTree(uint256 n) internal {
        bytes32[] memory leaves = _leaves(n);
        bytes32 root = _root(leaves);
        VM.warp(T0 + n);
        VM.roll(B0 + n);
        _anchorAs(key, root, uint64(n));
        for (uint256 i = 0; i < n; i++) {
            bytes32[] memory sib = _proof(leaves, i);
            (bool included, uint64 time, uint64 blockNumber, address publisher, address k, bool keyTrusted) =
                reg.verifyLeaf(ADMIN, _leafData(i), uint64(i), uint64(n), sib, root);
            _check(included, "every leaf verifies");
            _check(time == T0 + n && blockNumber == B0 + n, "anchor time and block");
            _check(publisher == ADMIN && k == key && keyTrusted, "anchor key");
            _check(!_included(_leafData(i + 1), uint64(i), uint64(n), sib, root), "wrong leaf data");
        }
        _check(!_included(_leafData(0), uint64(n), uint64(n), _proof(leaves, 0), root), "index past the end");
    }

    function test_VerifyLeaf_Size1() public {
        _checkTree(1);
        bytes32 root = _leaf(_leafData(0));
        _check(_proof(_leaves(1), 0).length == 0, "a single leaf is the root");
        _check(!_included(_leafData(0), 0, 1, _with(new bytes32[](0), root), root), "extra sibling");
    }

    function test_VerifyLeaf_Size2() public {
        _checkTree(2);
    }

    function test_VerifyLeaf_Size3() public {
        _checkTree(3);
        _check(
            _root(_leaves(3)) == _node(_node(_leaf(_leafData(0)), _leaf(_leafData(1))), _leaf(_leafData(2))), "shape"
        );
    }

    function test_VerifyLeaf_Size5() public {
        _checkTree(5);
    }

    function test_VerifyLeaf_Size8() public {
        _checkTree(8);
    }

    function test_VerifyLeaf_MalformedProofsAreFalse() public {
        uint256 n = 5;
        bytes32[] memory leaves = _leaves(n);
        bytes32 root = _root(leaves);
        _anchorAs(key, root, uint64(n));
        bytes32[] memory sib = _proof(leaves, 1);
        bytes memory data = _leafData(1);
        _check(_included(data, 1, 5, sib, root), "baseline");

        _check(!_included(_leafData(2), 1, 5, sib, root), "wrong leaf");
        _check(!_included(data, 0, 5, sib, root), "wrong index");
        _check(!_included(data, 3, 5, sib, root), "wrong index, same sibling count");
        _check(!_included(data, 1, 4, sib, root), "leafCount smaller than anchored");
        _check(!_included(data, 1, 6, sib, root), "leafCount larger than anchored");
        _check(!_included(data, 1, type(uint64).max, sib, root), "huge leafCount");
        _check(!_included(data, type(uint64).max, 5, sib, root), "huge index");
        _check(!_included(data, 1, 5, _with(sib, bytes32(0)), root), "extra sibling");
        _check(!_included(data, 1, 5, _with(sib, sib[0]), root), "extra duplicate sibling");
        _check(!_included(data, 1, 5, _withoutLast(sib), root), "missing sibling");
        _check(!_included(data, 1, 5, new bytes32[](0), root), "no siblings");
        bytes32[] memory flipped = _copy(sib);
        flipped[0] = sib[1];
        flipped[1] = sib[0];
        _check(!_included(data, 1, 5, flipped, root), "siblings out of order");

        // The promoted leaf 4 has fewer siblings than the others.
        bytes32[] memory last = _proof(leaves, 4);
        _check(last.length == 1 && _included(_leafData(4), 4, 5, last, root), "promoted leaf");
        _check(!_included(_leafData(4), 4, 5, _with(last, sib[0]), root), "promoted leaf with extra sibling");

        // An inner node cannot pass as a leaf: node(leaf0, leaf1) as "data" at level 1.
        bytes32[] memory upper = new bytes32[](1);
        upper[0] = _proof(leaves, 0)[2];
        _check(!_included(abi.encodePacked(_node(leaves[0], leaves[1])), 0, 5, upper, root), "second preimage");
    }

    function test_VerifyLeaf_WrongPublisherIsFalse() public {
        uint256 n = 5;
        bytes32[] memory leaves = _leaves(n);
        bytes32 root = _root(leaves);
        _registerWire(KEY2_PK);
        _anchorAs(key, root, uint64(n));
        bytes32[] memory sib = _proof(leaves, 2);
        _check(_includedFor(ADMIN, _leafData(2), 2, uint64(n), sib, root), "baseline");
        (bool included, uint64 time, uint64 blockNumber, address publisher, address k, bool keyTrusted) =
            reg.verifyLeaf(ADMIN2, _leafData(2), 2, uint64(n), sib, root);
        _check(!included && time == 0 && blockNumber == 0, "registered publisher that did not anchor it");
        _check(publisher == address(0) && k == address(0) && !keyTrusted, "zeros");
        _check(!_includedFor(STRANGER, _leafData(2), 2, uint64(n), sib, root), "unregistered address");
        _check(!_includedFor(key, _leafData(2), 2, uint64(n), sib, root), "the anchoring key is not the publisher");
        _check(!_includedFor(address(0), _leafData(2), 2, uint64(n), sib, root), "zero address");

        // Once ADMIN2 anchors the same root with the same count, it verifies under ADMIN2 too, with its own key.
        _anchorAs(key2, root, uint64(n));
        (included,,, publisher, k,) = reg.verifyLeaf(ADMIN2, _leafData(2), 2, uint64(n), sib, root);
        _check(included && publisher == ADMIN2 && k == key2, "ADMIN2's own anchor");
    }

    function test_VerifyLeaf_UnanchoredRootIsFalse() public view {
        bytes32[] memory leaves = _leaves(3);
        bytes32 root = _root(leaves);
        (bool included, uint64 time, uint64 blockNumber, address publisher, address k, bool keyTrusted) =
            reg.verifyLeaf(ADMIN, _leafData(0), 0, 3, _proof(leaves, 0), root);
        _check(!included && time == 0 && blockNumber == 0, "not anchored");
        _check(publisher == address(0) && k == address(0) && !keyTrusted, "zeros");
        _check(!_included("", 0, 1, new bytes32[](0), bytes32(0)), "zero root");
    }

    function testFuzz_VerifyLeaf_EveryTreeShape(uint8 size, uint8 pick) public {
        uint256 n = 1 + (uint256(size) % 40);
        uint256 index = uint256(pick) % n;
        bytes32[] memory leaves = _leaves(n);
        bytes32 root = _root(leaves);
        _anchorAs(key, root, uint64(n));
        bytes32[] memory sib = _proof(leaves, index);
        _check(_included(_leafData(index), uint64(index), uint64(n), sib, root), "proof verifies");
        if (n > 1) {
            uint256 other = (index + 1) % n;
            _check(!_included(_leafData(index), uint64(other), uint64(n), sib, root), "other index fails");
        }
    }

    function testFuzz_VerifyLeaf_NeverReverts(
        bytes calldata data,
        uint64 index,
        uint64 leafCount,
        bytes32[] calldata siblings,
        bool anchorIt
    ) public {
        bytes32 root = _leaf(data);
        if (anchorIt && leafCount > 0 && leafCount <= type(uint24).max) _anchorAs(key, root, leafCount);
        // Must return (not revert) whatever the input; a single-leaf proof is the only way to be included.
        bool included = _included(data, index, leafCount, siblings, root);
        if (included) _check(anchorIt && index == 0 && leafCount == 1 && siblings.length == 0, "only trivial");
    }
}
