// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

/// @title ProvenantRegistry
/// @notice On-chain chronology for provenant: publishers register, authorise signing keys, and those keys
///         anchor Merkle roots of chronology batches. The block time of an anchor is a timestamp that nobody,
///         including the signer, can back-date. Anchors are keyed by (publisher, root): each publisher can anchor
///         a root once, and no other publisher's anchor of the same root (e.g. a front-runner copying it from the
///         mempool) can block or take over it.
/// @dev Immutable by design: no proxy, no owner, no admin. Nothing written here can be rewritten or deleted;
///      a publisher can only add keys, change its endpoint, and tighten a key's revocation.
///      Merkle hashing is SHA-256 (precompile 0x02) with domain separation, identical to `core/src/merkle.rs`:
///      leaf = sha256(0x00 ‖ data), node = sha256(0x01 ‖ left ‖ right), an odd node at the end of a level is
///      promoted unchanged.
contract ProvenantRegistry {
    // ---------------------------------------------------------------------------------------------
    // Types
    // ---------------------------------------------------------------------------------------------

    /// @dev A publisher, keyed by its admin address. Registered iff `name` is non-empty.
    struct Publisher {
        string name;
        string endpoint;
    }

    /// @dev One storage slot: 160 + 48 + 48 bits.
    struct KeyRecord {
        address publisher; // admin address of the publisher that authorised the key; 0 = never authorised
        uint48 authorizedAt; // block.timestamp of authorisation
        uint48 compromisedSince; // 0 = not revoked; otherwise anchors with time >= this are distrusted
    }

    /// @dev One storage slot: 160 + 40 + 32 + 24 bits. Cost of an anchor is independent of the batch size.
    ///      Stored at `_anchors[keccak256(abi.encode(publisher, root))]`; the publisher is that of `key`.
    struct AnchorRecord {
        address key; // key that anchored the root; 0 = not anchored
        uint40 time; // block.timestamp of the anchor
        uint32 blockNumber; // block.number of the anchor (truncated to 32 bits: ~270 years of 2 s blocks)
        uint24 leafCount; // number of leaves in the batch, 1..2^24-1
    }

    // ---------------------------------------------------------------------------------------------
    // Constants and immutables
    // ---------------------------------------------------------------------------------------------

    /// @notice EIP-712 type hash of `Anchor(bytes32 root,uint64 leafCount,bytes32 metaHash,uint256 deadline)`.
    bytes32 public constant ANCHOR_TYPEHASH =
        keccak256("Anchor(bytes32 root,uint64 leafCount,bytes32 metaHash,uint256 deadline)");

    bytes32 private constant _DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant _NAME_HASH = keccak256("ProvenantRegistry");
    bytes32 private constant _VERSION_HASH = keccak256("1");

    /// @dev Half the secp256k1 group order: signatures with a larger `s` are malleable twins and refused.
    uint256 private constant _HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    uint256 private immutable _cachedChainId;
    bytes32 private immutable _cachedDomainSeparator;

    // ---------------------------------------------------------------------------------------------
    // Storage
    // ---------------------------------------------------------------------------------------------

    mapping(address admin => Publisher) private _publishers;
    mapping(address key => KeyRecord) private _keys;
    /// @dev Keyed by `_anchorId(publisher, root)` = keccak256(abi.encode(publisher, root)).
    mapping(bytes32 anchorId => AnchorRecord) private _anchors;

    // Reserved for the camera blacklist issue (not implemented here): curator sets with m-of-n approval,
    // reporter bonds, a timelock/appeal window, decryption shares with Chaum–Pedersen proofs, withdrawal with
    // reasons, and certificate-fingerprint entries. They will get their own storage, events and errors and
    // must not give anyone power over publishers, keys or anchors.

    // ---------------------------------------------------------------------------------------------
    // Events
    // ---------------------------------------------------------------------------------------------

    /// @notice A publisher registered with admin address `publisher`.
    /// @param publisher The admin address (the registering sender).
    /// @param name The publisher's display name.
    /// @param endpoint URL of the publisher's chronology endpoint (may be empty).
    event PublisherRegistered(address indexed publisher, string name, string endpoint);

    /// @notice A publisher changed its chronology endpoint.
    /// @param publisher The publisher's admin address.
    /// @param endpoint The new endpoint URL (may be empty).
    event EndpointChanged(address indexed publisher, string endpoint);

    /// @notice A publisher authorised a signing key.
    /// @param publisher The publisher's admin address.
    /// @param key The authorised key's address.
    event KeyAuthorized(address indexed publisher, address indexed key);

    /// @notice A publisher revoked a key, or moved its revocation earlier.
    /// @param publisher The publisher's admin address.
    /// @param key The revoked key.
    /// @param compromisedSince Anchors by this key with time >= this value are distrusted.
    event KeyRevoked(address indexed publisher, address indexed key, uint48 compromisedSince);

    /// @notice A Merkle root was anchored.
    /// @param root The batch's Merkle root.
    /// @param publisher The publisher that authorised `key`.
    /// @param key The key that anchored (the sender, or the signer of a relayed anchor).
    /// @param leafCount Number of leaves in the batch.
    /// @param metaHash Hash of off-chain batch metadata; emitted only, not stored.
    event Anchored(
        bytes32 indexed root, address indexed publisher, address indexed key, uint64 leafCount, bytes32 metaHash
    );

    // ---------------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------------

    /// @notice The publisher name is empty.
    error EmptyName();
    /// @notice `publisher` is already registered.
    error AlreadyRegistered(address publisher);
    /// @notice `account` is not a registered publisher.
    error NotPublisher(address account);
    /// @notice `key` has been authorised before (by any publisher); a key is never reused.
    error KeyInUse(address key);
    /// @notice The zero address cannot be a key.
    error ZeroKey();
    /// @notice The sender is not the publisher that authorised `key`.
    error NotKeyPublisher(address key);
    /// @notice `compromisedSince` is 0 or in the future.
    error InvalidCompromiseTime();
    /// @notice A revocation may only move `compromisedSince` earlier.
    error CannotLoosenRevocation();
    /// @notice `key` was never authorised.
    error NotAuthorizedKey(address key);
    /// @notice `key` has been revoked and can no longer anchor.
    error KeyIsRevoked(address key);
    /// @notice The root is zero.
    error ZeroRoot();
    /// @notice `leafCount` is 0 or above 2^24-1.
    error LeafCountOutOfRange();
    /// @notice `publisher` has anchored `root` before (through any of its keys).
    error AlreadyAnchored(address publisher, bytes32 root);
    /// @notice The relayed signature is malformed, malleable or does not recover.
    error InvalidSignature();
    /// @notice The relayed signature's deadline has passed.
    error SignatureExpired();

    // ---------------------------------------------------------------------------------------------
    // Construction
    // ---------------------------------------------------------------------------------------------

    /// @notice Deploys an empty registry. There is no owner and nothing to configure.
    constructor() {
        _cachedChainId = block.chainid;
        _cachedDomainSeparator = _buildDomainSeparator();
    }

    // ---------------------------------------------------------------------------------------------
    // Publishers and keys
    // ---------------------------------------------------------------------------------------------

    /// @notice Registers the sender as a publisher.
    /// @param name Non-empty display name.
    /// @param endpoint URL of the publisher's chronology endpoint (may be empty).
    function registerPublisher(string calldata name, string calldata endpoint) external {
        if (bytes(name).length == 0) revert EmptyName();
        Publisher storage p = _publishers[msg.sender];
        if (bytes(p.name).length != 0) revert AlreadyRegistered(msg.sender);
        p.name = name;
        p.endpoint = endpoint;
        emit PublisherRegistered(msg.sender, name, endpoint);
    }

    /// @notice Changes the sender's chronology endpoint.
    /// @param endpoint The new endpoint URL (may be empty).
    function setEndpoint(string calldata endpoint) external {
        Publisher storage p = _publishers[msg.sender];
        if (bytes(p.name).length == 0) revert NotPublisher(msg.sender);
        p.endpoint = endpoint;
        emit EndpointChanged(msg.sender, endpoint);
    }

    /// @notice Authorises `key` to anchor on behalf of the sender's publisher.
    /// @param key A key address that has never been authorised by anyone.
    function authorizeKey(address key) external {
        if (bytes(_publishers[msg.sender].name).length == 0) revert NotPublisher(msg.sender);
        if (key == address(0)) revert ZeroKey();
        if (_keys[key].publisher != address(0)) revert KeyInUse(key);
        _keys[key] = KeyRecord({publisher: msg.sender, authorizedAt: uint48(block.timestamp), compromisedSince: 0});
        emit KeyAuthorized(msg.sender, key);
    }

    /// @notice Revokes `key`: it can no longer anchor, and its anchors made at or after `compromisedSince`
    ///         are distrusted while earlier ones stay good. Calling again may only move the time earlier.
    /// @param key A key authorised by the sender.
    /// @param compromisedSince Earliest time the key may have been in other hands; 0 < value <= now.
    function revokeKey(address key, uint48 compromisedSince) external {
        KeyRecord storage k = _keys[key];
        if (key == address(0) || k.publisher != msg.sender) revert NotKeyPublisher(key);
        if (compromisedSince == 0 || compromisedSince > block.timestamp) revert InvalidCompromiseTime();
        uint48 current = k.compromisedSince;
        if (current != 0 && compromisedSince > current) revert CannotLoosenRevocation();
        k.compromisedSince = compromisedSince;
        emit KeyRevoked(msg.sender, key, compromisedSince);
    }

    // ---------------------------------------------------------------------------------------------
    // Anchoring
    // ---------------------------------------------------------------------------------------------

    /// @notice Anchors a batch root for the sender's publisher; the sender must be an authorised, unrevoked key.
    ///         Anchors are per publisher: another publisher's anchor of the same root neither blocks this one
    ///         nor is confused with it.
    /// @param root The batch's Merkle root (non-zero, not anchored before by the key's publisher).
    /// @param leafCount Number of leaves, 1..2^24-1.
    /// @param metaHash Hash of off-chain batch metadata; emitted only.
    function anchor(bytes32 root, uint64 leafCount, bytes32 metaHash) external {
        _anchor(msg.sender, root, leafCount, metaHash);
    }

    /// @notice Anchors a batch root signed (EIP-712) by an authorised, unrevoked key, for that key's publisher;
    ///         anyone may relay it. Replays fail because a publisher can anchor a root only once (a key always
    ///         belongs to the same publisher).
    /// @param root The batch's Merkle root.
    /// @param leafCount Number of leaves, 1..2^24-1.
    /// @param metaHash Hash of off-chain batch metadata; emitted only.
    /// @param deadline Last block timestamp at which the signature is accepted.
    /// @param signature 65 bytes r ‖ s ‖ v over `anchorDigest(root, leafCount, metaHash, deadline)`.
    function anchorSigned(bytes32 root, uint64 leafCount, bytes32 metaHash, uint256 deadline, bytes calldata signature)
        external
    {
        if (block.timestamp > deadline) revert SignatureExpired();
        address signer = _recover(anchorDigest(root, leafCount, metaHash, deadline), signature);
        _anchor(signer, root, leafCount, metaHash);
    }

    /// @notice The EIP-712 domain separator (name "ProvenantRegistry", version "1", this chain, this contract).
    /// @return The domain separator for the current chain id.
    function domainSeparator() public view returns (bytes32) {
        return block.chainid == _cachedChainId ? _cachedDomainSeparator : _buildDomainSeparator();
    }

    /// @notice The EIP-712 digest a key signs for `anchorSigned`.
    /// @param root The batch's Merkle root.
    /// @param leafCount Number of leaves.
    /// @param metaHash Hash of off-chain batch metadata.
    /// @param deadline Last block timestamp at which the signature is accepted.
    /// @return keccak256("\x19\x01" ‖ domainSeparator ‖ hashStruct(Anchor)).
    function anchorDigest(bytes32 root, uint64 leafCount, bytes32 metaHash, uint256 deadline)
        public
        view
        returns (bytes32)
    {
        bytes32 structHash = keccak256(abi.encode(ANCHOR_TYPEHASH, root, leafCount, metaHash, deadline));
        return keccak256(abi.encodePacked(hex"1901", domainSeparator(), structHash));
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @notice A publisher's registration.
    /// @dev Named `publisherOf` rather than `publisher` so that return values elsewhere can be called
    ///      `publisher` without shadowing a function (a compiler warning, and warnings fail the build).
    /// @param admin The publisher's admin address.
    /// @return name Display name (empty if not registered).
    /// @return endpoint Chronology endpoint URL.
    /// @return registered Whether `admin` is a registered publisher.
    function publisherOf(address admin)
        external
        view
        returns (string memory name, string memory endpoint, bool registered)
    {
        Publisher storage p = _publishers[admin];
        name = p.name;
        endpoint = p.endpoint;
        registered = bytes(name).length != 0;
    }

    /// @notice A key's record.
    /// @param key The key address.
    /// @return publisher Admin address of the authorising publisher (0 if never authorised).
    /// @return authorizedAt Block time of authorisation.
    /// @return compromisedSince 0 if not revoked; otherwise anchors at or after this time are distrusted.
    function keyInfo(address key)
        external
        view
        returns (address publisher, uint48 authorizedAt, uint48 compromisedSince)
    {
        KeyRecord memory k = _keys[key];
        return (k.publisher, k.authorizedAt, k.compromisedSince);
    }

    /// @notice The anchor of `root` by `publisher_`. Anchors of the same root by other publishers are
    ///         separate records and do not show here.
    /// @param publisher_ The publisher's admin address.
    /// @param root The Merkle root.
    /// @return anchored Whether `publisher_` has anchored `root` (all other values are 0 if not).
    /// @return key The key that anchored it.
    /// @return publisher `publisher_` if anchored, else 0.
    /// @return time Block timestamp of the anchor.
    /// @return blockNumber Block number of the anchor (low 32 bits).
    /// @return leafCount Number of leaves in the batch.
    /// @return keyTrusted False if the key was revoked with compromisedSince <= time.
    function anchorOf(address publisher_, bytes32 root)
        external
        view
        returns (
            bool anchored,
            address key,
            address publisher,
            uint64 time,
            uint64 blockNumber,
            uint64 leafCount,
            bool keyTrusted
        )
    {
        AnchorRecord memory a = _anchorRecord(publisher_, root);
        if (a.key == address(0)) return (false, address(0), address(0), 0, 0, 0, false);
        bool trusted = _trusted(a.time, _keys[a.key].compromisedSince);
        return (true, a.key, publisher_, a.time, a.blockNumber, a.leafCount, trusted);
    }

    /// @notice Checks that `leafData` is leaf `index` of the batch `root` anchored by `publisher_`. Never
    ///         reverts on a malformed proof: it returns `included = false` (and zeros) instead. An anchor of the
    ///         same root by another publisher does not count.
    /// @param publisher_ The publisher expected to have anchored `root` (its admin address).
    /// @param leafData The leaf's data (hashed here as sha256(0x00 ‖ leafData)).
    /// @param index Position of the leaf in the batch.
    /// @param leafCount Number of leaves in the batch; must equal the anchored count.
    /// @param siblings Sibling hashes from the leaf level up; levels where the node is promoted have none.
    /// @param root The anchored Merkle root.
    /// @return included True only if `publisher_` anchored `root` with `leafCount` leaves and the path leads
    ///         to it.
    /// @return time Block timestamp of the anchor.
    /// @return blockNumber Block number of the anchor (low 32 bits).
    /// @return publisher `publisher_` if included, else 0.
    /// @return key The key that anchored the root.
    /// @return keyTrusted False if the key was revoked with compromisedSince <= time.
    function verifyLeaf(
        address publisher_,
        bytes calldata leafData,
        uint64 index,
        uint64 leafCount,
        bytes32[] calldata siblings,
        bytes32 root
    )
        external
        view
        returns (bool included, uint64 time, uint64 blockNumber, address publisher, address key, bool keyTrusted)
    {
        AnchorRecord memory a = _anchorRecord(publisher_, root);
        if (a.key == address(0) || a.leafCount != leafCount) {
            return (false, 0, 0, address(0), address(0), false);
        }
        if (!_proofLeadsTo(leafHash(leafData), index, leafCount, siblings, root)) {
            return (false, 0, 0, address(0), address(0), false);
        }
        // Assigned one by one: a single tuple return needs one stack slot too many.
        included = true;
        time = a.time;
        blockNumber = a.blockNumber;
        publisher = publisher_;
        key = a.key;
        keyTrusted = _trusted(a.time, _keys[a.key].compromisedSince);
    }

    /// @notice Merkle leaf hash: sha256(0x00 ‖ leafData).
    /// @param leafData The leaf's data.
    /// @return The leaf hash.
    function leafHash(bytes calldata leafData) public pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x00), leafData));
    }

    /// @notice Merkle inner-node hash: sha256(0x01 ‖ left ‖ right).
    /// @param left The left child.
    /// @param right The right child.
    /// @return The node hash.
    function nodeHash(bytes32 left, bytes32 right) public pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x01), left, right));
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    /// @dev Shared by `anchor` and `anchorSigned`: one SLOAD of the key, one SLOAD + SSTORE of the anchor slot.
    ///      The anchor slot is that of (the key's publisher, root), so duplicates are refused per publisher.
    function _anchor(address key, bytes32 root, uint64 leafCount, bytes32 metaHash) private {
        KeyRecord memory k = _keys[key];
        if (k.publisher == address(0)) revert NotAuthorizedKey(key);
        if (k.compromisedSince != 0) revert KeyIsRevoked(key);
        if (root == bytes32(0)) revert ZeroRoot();
        if (leafCount == 0 || leafCount > type(uint24).max) revert LeafCountOutOfRange();
        AnchorRecord storage record = _anchors[_anchorId(k.publisher, root)];
        uint256 word;
        assembly ("memory-safe") {
            word := sload(record.slot)
        }
        if (word != 0) revert AlreadyAnchored(k.publisher, root); // a stored record always has a non-zero key
        // The legacy code generator writes a struct field by field (four read-modify-writes of the same
        // slot); packing the word by hand stores it once. Layout = Solidity's own for AnchorRecord, lowest
        // bits first, so the struct reads in the views see exactly these fields.
        word = uint256(uint160(key)) | (uint256(uint40(block.timestamp)) << 160)
            | (uint256(uint32(block.number)) << 200) | (uint256(leafCount) << 232);
        assembly ("memory-safe") {
            sstore(record.slot, word)
        }
        emit Anchored(root, k.publisher, key, leafCount, metaHash);
    }

    /// @dev Recovers the signer of `digest`; reverts `InvalidSignature` on a bad length, v not 27/28,
    ///      s in the upper half of the order, or a failed recovery.
    function _recover(bytes32 digest, bytes calldata signature) private pure returns (address signer) {
        if (signature.length != 65) revert InvalidSignature();
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (v != 27 && v != 28) revert InvalidSignature();
        if (uint256(s) > _HALF_ORDER) revert InvalidSignature();
        signer = ecrecover(digest, v, r, s);
        if (signer == address(0)) revert InvalidSignature();
    }

    /// @dev Mirrors `MerkleProof::root_for` in core/src/merkle.rs, returning false instead of reverting.
    function _proofLeadsTo(bytes32 leaf, uint256 index, uint256 leafCount, bytes32[] calldata siblings, bytes32 root)
        private
        pure
        returns (bool)
    {
        if (index >= leafCount) return false;
        uint256 i = index;
        uint256 width = leafCount;
        uint256 used = 0;
        bytes32 hash = leaf;
        while (width > 1) {
            if ((i ^ 1) < width) {
                if (used >= siblings.length) return false;
                bytes32 s = siblings[used];
                ++used;
                hash = (i & 1 == 0) ? nodeHash(hash, s) : nodeHash(s, hash);
            }
            i >>= 1;
            width = width - (width >> 1); // ceil(width / 2)
        }
        return used == siblings.length && hash == root;
    }

    /// @dev The `_anchors` key of `publisher_`'s anchor of `root`: keccak256(abi.encode(publisher_, root)).
    function _anchorId(address publisher_, bytes32 root) private pure returns (bytes32 id) {
        assembly ("memory-safe") {
            mstore(0x00, and(publisher_, 0xffffffffffffffffffffffffffffffffffffffff))
            mstore(0x20, root)
            id := keccak256(0x00, 0x40)
        }
    }

    /// @dev `publisher_`'s anchor of `root` (all zero if none).
    function _anchorRecord(address publisher_, bytes32 root) private view returns (AnchorRecord memory) {
        return _anchors[_anchorId(publisher_, root)];
    }

    /// @dev An anchor is trusted unless its key was revoked with compromisedSince <= the anchor time.
    function _trusted(uint40 time, uint48 compromisedSince) private pure returns (bool) {
        return compromisedSince == 0 || time < compromisedSince;
    }

    function _buildDomainSeparator() private view returns (bytes32) {
        return keccak256(abi.encode(_DOMAIN_TYPEHASH, _NAME_HASH, _VERSION_HASH, block.chainid, address(this)));
    }
}
