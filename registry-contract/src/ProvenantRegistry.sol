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

    /// @notice EIP-712 type hash of `AcceptPublisher(address publisher,uint256 deadline)`: a key's consent to
    ///         anchor for `publisher` (its proof of possession for `authorizeKey`).
    bytes32 public constant ACCEPT_PUBLISHER_TYPEHASH =
        keccak256("AcceptPublisher(address publisher,uint256 deadline)");

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
    /// @dev Registrations per normalised name (`_nameKey`): how many publishers answer to a name.
    mapping(bytes32 nameKey => uint32 count) private _nameCount;

    // The camera blacklist's storage is declared with its functions, at the end of the contract, so it comes
    // after these slots and never shares them.

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
    /// @notice The acceptance signature was not made by `key` for the sender's publisher.
    error KeyDidNotAccept(address key);

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
        _nameCount[_nameKey(bytes(name))] += 1;
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

    /// @notice Authorises `key` to anchor on behalf of the sender's publisher, with the key's consent: without
    ///         it, anyone could register, authorise a newsroom's key first (a key is never reused) and later
    ///         "revoke" it.
    /// @param key A key address that has never been authorised by anyone.
    /// @param deadline Last block timestamp at which the acceptance is valid.
    /// @param signature 65 bytes r ‖ s ‖ v by `key` over `acceptPublisherDigest(sender, deadline)`.
    function authorizeKey(address key, uint256 deadline, bytes calldata signature) external {
        if (bytes(_publishers[msg.sender].name).length == 0) revert NotPublisher(msg.sender);
        if (key == address(0)) revert ZeroKey();
        if (_keys[key].publisher != address(0)) revert KeyInUse(key);
        if (block.timestamp > deadline) revert SignatureExpired();
        if (_recover(acceptPublisherDigest(msg.sender, deadline), signature) != key) revert KeyDidNotAccept(key);
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

    /// @notice The EIP-712 digest a key signs to accept anchoring for `publisher_` (see `authorizeKey`).
    /// @param publisher_ The publisher's admin address.
    /// @param deadline Last block timestamp at which the acceptance is valid.
    /// @return keccak256("\x19\x01" ‖ domainSeparator ‖ hashStruct(AcceptPublisher)).
    function acceptPublisherDigest(address publisher_, uint256 deadline) public view returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(ACCEPT_PUBLISHER_TYPEHASH, publisher_, deadline));
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
    /// @return namesakes How many other publishers registered the same name (ASCII case and whitespace
    ///         ignored). A name proves nothing: verifiers show the address, and flag a name that is not unique.
    function publisherOf(address admin)
        external
        view
        returns (string memory name, string memory endpoint, bool registered, uint32 namesakes)
    {
        Publisher storage p = _publishers[admin];
        name = p.name;
        endpoint = p.endpoint;
        registered = bytes(name).length != 0;
        if (registered) namesakes = _nameCount[_nameKey(bytes(name))] - 1;
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

    /// @dev The name index key: keccak256 of the name with ASCII letters lower-cased and ASCII whitespace
    ///      dropped, so "Daily Planet" and " daily  PLANET" count as one name. Other look-alikes (Unicode
    ///      confusables) are not caught; verifiers show the publisher's address for that reason.
    function _nameKey(bytes memory name) private pure returns (bytes32) {
        bytes memory folded = new bytes(name.length);
        uint256 n = 0;
        for (uint256 i = 0; i < name.length; i++) {
            bytes1 c = name[i];
            if (c == 0x20 || (c >= 0x09 && c <= 0x0d)) continue;
            if (c >= 0x41 && c <= 0x5a) c = bytes1(uint8(c) + 32);
            folded[n++] = c;
        }
        assembly ("memory-safe") {
            mstore(folded, n)
        }
        return keccak256(folded);
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

    // =============================================================================================
    // Camera blacklist: curator sets and their entries
    // =============================================================================================
    //
    // Separate storage (declared below, after every publisher/key/anchor slot) and separate roles: nothing in
    // this part can touch publishers, keys or anchors. An entry lists either a camera (device: an evidence
    // photo's hash, its capture tag (r, tag) and escrow point; after approval and the timelock, its epoch key)
    // or a certificate (SHA-256 fingerprint of a DER). Life of an entry:
    //   Proposed --threshold approvals--> Approved (timelock runs) --timelock over, shares--> Active
    //   Proposed/Approved (before the timelock ends) --appeal--> Appealed --quorum upholds--> Rejected
    //                                        --quorum dismisses--> back; the timelock resumes where it paused
    //   Proposed/Approved/Active --curator quorum--> Withdrawn; Proposed --its reporter--> Withdrawn
    // Bonds: the reporter's bond is credited back on activation or withdrawal, to the appellant when an appeal
    // is upheld; an appellant's bond goes back to it when upheld, to the reporter when dismissed. Payouts are
    // pulled with `claim`. Appeals: one per account per entry, the n-th (from 0) posts bond·2^n. The contract
    // cannot check ristretto255 Chaum–Pedersen proofs (verifiers do); it does check that an activated device
    // key reproduces the evidence's capture tag (HMAC-SHA256 through the sha256 precompile).

    /// @notice Entry kinds.
    uint8 public constant KIND_DEVICE = 0;
    uint8 public constant KIND_CERTIFICATE = 1;
    /// @notice Entry statuses.
    uint8 public constant STATUS_PROPOSED = 0;
    uint8 public constant STATUS_APPROVED = 1;
    uint8 public constant STATUS_APPEALED = 2;
    uint8 public constant STATUS_ACTIVE = 3;
    uint8 public constant STATUS_WITHDRAWN = 4;
    uint8 public constant STATUS_REJECTED = 5;

    /// @dev An immutable curator set; curator j (1-based, its Shamir share index) is `curators[j - 1]`.
    struct CuratorSet {
        string name;
        address[] curators;
        uint8 threshold;
        uint32 timelock;
        uint256 bond;
        bytes32 groupKey;
    }

    /// @notice A blacklist entry as `entry(id)` returns it.
    struct Entry {
        uint8 kind;
        uint8 status;
        uint32 setId;
        address reporter;
        bytes32 subject; // evidence photo SHA-256 (device) or certificate fingerprint (certificate)
        uint32 evidenceEpoch;
        uint32 startEpoch;
        bytes32 evidenceR;
        bytes32 evidenceTag;
        bytes32 escrowPoint;
        bytes32 epochKey; // 0 until a device entry is activated
        uint8 approvals;
        uint8 sharesPublished;
        uint64 activeAfter; // 0 until approved; end of the timelock
        address appellant; // while appealed
    }

    /// @dev A released decryption share: D_j = s_j·R and its Chaum–Pedersen proof (c, z).
    struct Share {
        uint8 index;
        bytes32 point;
        bytes32 proofC;
        bytes32 proofZ;
    }

    /// @dev Votes of one entry, as bitmaps over curator indexes (bit j-1 = curator j).
    struct Votes {
        uint32 approve;
        uint32 withdraw;
        uint32 uphold;
        uint32 dismiss;
        uint32 shared;
    }

    mapping(uint32 setId => CuratorSet) private _sets;
    mapping(uint32 setId => mapping(address curator => uint8 index)) private _curatorIndex;
    uint32 private _setCount;
    mapping(uint64 id => Entry) private _entries;
    mapping(uint64 id => Votes) private _votes;
    mapping(uint64 id => Share[]) private _shares;
    uint64 private _entryCount;
    mapping(address account => uint256 amount) private _credit;

    /// @dev Appeal bookkeeping of one entry (one slot): appeals made so far, the bond the open appeal posted,
    ///      and the timelock left when it paused the entry.
    struct AppealState {
        uint32 count;
        uint64 remaining;
        uint128 posted;
    }

    mapping(uint64 id => AppealState) private _appealState;
    mapping(uint64 id => mapping(address appellant => bool)) private _appealed;

    /// @dev HMAC-SHA256 pads, for one 32-byte half of the 64-byte key block.
    bytes32 private constant _IPAD = 0x3636363636363636363636363636363636363636363636363636363636363636;
    bytes32 private constant _OPAD = 0x5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c;
    bytes16 private constant _TAG_DOMAIN = "provenant/tag/v1";

    /// @notice A curator set was created.
    event CuratorSetCreated(
        uint32 indexed setId,
        string name,
        address[] curators,
        uint8 threshold,
        uint32 timelock,
        uint256 bond,
        bytes32 groupKey
    );
    /// @notice An entry was proposed (its reason is kept here only).
    event EntryProposed(
        uint64 indexed id, uint32 indexed setId, uint8 kind, bytes32 subject, address indexed reporter, string reason
    );
    /// @notice A curator approved an entry.
    event EntryApproved(uint64 indexed id, address indexed curator, uint8 approvals);
    /// @notice An entry reached its approval threshold, or had an appeal dismissed (the timelock resumes with the
    ///         time it had left): shares may follow after `activeAfter`.
    event EntryTimelockStarted(uint64 indexed id, uint64 activeAfter);
    /// @notice An entry was appealed and is stopped until its curators resolve the appeal.
    event EntryAppealed(uint64 indexed id, address indexed appellant, string reason);
    /// @notice A curator voted on an appeal.
    event AppealVote(uint64 indexed id, address indexed curator, bool uphold);
    /// @notice An appeal was decided: upheld (entry rejected) or dismissed.
    event AppealResolved(uint64 indexed id, bool upheld);
    /// @notice A curator released its decryption share for a device entry.
    event ShareReleased(uint64 indexed id, uint8 index, bytes32 point, bytes32 proofC, bytes32 proofZ);
    /// @notice An entry came into force (`epochKey` is 0 for certificate entries).
    event EntryActivated(uint64 indexed id, bytes32 epochKey);
    /// @notice A curator voted to withdraw an entry.
    event WithdrawVote(uint64 indexed id, address indexed curator, string reason);
    /// @notice An entry was withdrawn.
    event EntryWithdrawn(uint64 indexed id, string reason);
    /// @notice A bond was credited to `account` (pull it with `claim`).
    event BondCredited(address indexed account, uint256 amount);
    /// @notice Credited bonds were paid out.
    event BondClaimed(address indexed account, uint256 amount);

    /// @notice The curator set's parameters are invalid (name, curators, threshold, timelock, group key).
    error BadCuratorSet();
    /// @notice No curator set with this id.
    error UnknownCuratorSet(uint32 setId);
    /// @notice No entry with this id.
    error UnknownEntry(uint64 id);
    /// @notice The sender is not a curator of the entry's set.
    error NotCurator(address account);
    /// @notice The sender already voted (or released its share) on this.
    error AlreadyVoted(address curator);
    /// @notice The entry's status does not allow this.
    error WrongStatus(uint8 status);
    /// @notice Only device entries have shares and epoch keys.
    error WrongKind();
    /// @notice The timelock runs until `activeAfter`.
    error TimelockRunning(uint64 activeAfter);
    /// @notice The appeal window is over.
    error TimelockOver();
    /// @notice The value sent must equal the set's bond.
    error WrongBond(uint256 expected);
    /// @notice Fewer decryption shares than the threshold were released.
    error NotEnoughShares(uint8 have, uint8 need);
    /// @notice Evidence fields are missing or inconsistent (zero hash/point, start before the evidence's epoch).
    error BadEvidence();
    /// @notice A device entry needs a non-zero epoch key; a certificate entry none.
    error BadEpochKey();
    /// @notice The epoch key does not reproduce the evidence's capture tag.
    error WrongEpochKey();
    /// @notice `appellant` has appealed this entry before (one appeal per account per entry).
    error AlreadyAppealed(address appellant);
    /// @notice No bond is credited to the sender.
    error NothingToClaim();
    /// @notice Paying out the bond failed.
    error TransferFailed();

    /// @notice Creates an immutable curator set.
    /// @param name Non-empty name shown to platforms choosing which sets they honour.
    /// @param curators 1..32 distinct non-zero accounts; curator j is `curators[j - 1]`.
    /// @param threshold Approvals (and shares, and votes) needed: 1..curators.length.
    /// @param timelock Seconds between approval and the earliest share release (the appeal window); > 0.
    /// @param bond Wei a reporter or appellant must post.
    /// @param groupKey The curators' ristretto255 group key that devices escrow to; non-zero.
    /// @return setId The new set's id (from 1).
    function createCuratorSet(
        string calldata name,
        address[] calldata curators,
        uint8 threshold,
        uint32 timelock,
        uint256 bond,
        bytes32 groupKey
    ) external returns (uint32 setId) {
        uint256 n = curators.length;
        if (bytes(name).length == 0 || groupKey == 0 || timelock == 0 || threshold == 0 || threshold > n || n > 32) {
            revert BadCuratorSet();
        }
        setId = ++_setCount;
        for (uint256 i = 0; i < n; i++) {
            address c = curators[i];
            if (c == address(0) || _curatorIndex[setId][c] != 0) revert BadCuratorSet();
            _curatorIndex[setId][c] = uint8(i + 1);
        }
        _sets[setId] = CuratorSet({
            name: name, curators: curators, threshold: threshold, timelock: timelock, bond: bond, groupKey: groupKey
        });
        emit CuratorSetCreated(setId, name, curators, threshold, timelock, bond, groupKey);
    }

    /// @notice Proposes blacklisting a camera, by one evidence photo (posts the set's bond).
    /// @param setId The curator set to decide.
    /// @param evidenceHash SHA-256 of the evidence photo.
    /// @param evidenceEpoch The evidence photo's epoch (UTC day).
    /// @param evidenceR The evidence's capture-tag r.
    /// @param evidenceTag The evidence's capture tag.
    /// @param escrowPoint The evidence's escrow point R (curators' shares are s_j·R).
    /// @param startEpoch Photos from this epoch on are flagged; >= evidenceEpoch.
    /// @param reason Published in the event.
    /// @return id The entry id.
    function proposeDevice(
        uint32 setId,
        bytes32 evidenceHash,
        uint32 evidenceEpoch,
        bytes32 evidenceR,
        bytes32 evidenceTag,
        bytes32 escrowPoint,
        uint32 startEpoch,
        string calldata reason
    ) external payable returns (uint64 id) {
        if (evidenceHash == 0 || escrowPoint == 0 || startEpoch < evidenceEpoch) {
            revert BadEvidence();
        }
        id = _propose(setId, KIND_DEVICE, evidenceHash, reason);
        Entry storage e = _entries[id];
        e.evidenceEpoch = evidenceEpoch;
        e.startEpoch = startEpoch;
        e.evidenceR = evidenceR;
        e.evidenceTag = evidenceTag;
        e.escrowPoint = escrowPoint;
    }

    /// @notice Proposes blacklisting a certificate by its SHA-256 fingerprint (posts the set's bond).
    /// @param setId The curator set to decide.
    /// @param fingerprint SHA-256 of the certificate's DER.
    /// @param reason Published in the event.
    /// @return id The entry id.
    function proposeCertificate(uint32 setId, bytes32 fingerprint, string calldata reason)
        external
        payable
        returns (uint64 id)
    {
        if (fingerprint == 0) revert BadEvidence();
        id = _propose(setId, KIND_CERTIFICATE, fingerprint, reason);
    }

    /// @notice Approves a proposed entry (once per curator). At the threshold the timelock starts.
    /// @param id The entry.
    function approve(uint64 id) external {
        Entry storage e = _entry(id);
        uint32 bit = _curatorBit(e.setId);
        if (e.status != STATUS_PROPOSED) revert WrongStatus(e.status);
        Votes storage v = _votes[id];
        if (v.approve & bit != 0) revert AlreadyVoted(msg.sender);
        v.approve |= bit;
        e.approvals += 1;
        emit EntryApproved(id, msg.sender, e.approvals);
        if (e.approvals >= _sets[e.setId].threshold) {
            e.status = STATUS_APPROVED;
            _startTimelock(id, e);
        }
    }

    /// @notice Appeals an entry before its timelock ends, posting `appealBond(id)`: the entry pauses until its
    ///         curators resolve the appeal. One open appeal per entry, one appeal per account per entry ever,
    ///         and each appeal of an entry costs twice the one before.
    /// @param id The entry.
    /// @param reason Published in the event.
    function appeal(uint64 id, string calldata reason) external payable {
        Entry storage e = _entry(id);
        if (e.status == STATUS_APPROVED && block.timestamp >= e.activeAfter) revert TimelockOver();
        if (e.status != STATUS_PROPOSED && e.status != STATUS_APPROVED) revert WrongStatus(e.status);
        if (_appealed[id][msg.sender]) revert AlreadyAppealed(msg.sender);
        uint256 bond = appealBond(id);
        if (msg.value != bond) revert WrongBond(bond);
        _appealed[id][msg.sender] = true;
        AppealState storage a = _appealState[id];
        a.count += 1;
        a.posted = uint128(bond); // msg.value, so far below 2^128
        a.remaining = e.status == STATUS_APPROVED ? e.activeAfter - uint64(block.timestamp) : 0;
        e.status = STATUS_APPEALED;
        e.appellant = msg.sender;
        emit EntryAppealed(id, msg.sender, reason);
    }

    /// @notice The bond the next appeal of entry `id` must post: the set's bond times 2^(appeals so far).
    ///         Past 2^256 it is the largest uint256, which nobody can pay.
    /// @param id The entry.
    /// @return The bond in wei.
    function appealBond(uint64 id) public view returns (uint256) {
        uint256 bond = _sets[_entry(id).setId].bond;
        uint256 n = _appealState[id].count;
        if (bond == 0) return 0;
        if (n >= 255 || bond > (type(uint256).max >> n)) return type(uint256).max;
        return bond << n;
    }

    /// @notice A curator's vote on an open appeal; `threshold` votes for one side decide it.
    /// @param id The entry.
    /// @param uphold True: reject the entry. False: dismiss the appeal (the timelock resumes with the time it
    ///        had left when the appeal paused it, so only the time the appeal was pending is added).
    function resolveAppeal(uint64 id, bool uphold) external {
        Entry storage e = _entry(id);
        uint32 bit = _curatorBit(e.setId);
        if (e.status != STATUS_APPEALED) revert WrongStatus(e.status);
        Votes storage v = _votes[id];
        if ((v.uphold | v.dismiss) & bit != 0) revert AlreadyVoted(msg.sender);
        emit AppealVote(id, msg.sender, uphold);
        CuratorSet storage s = _sets[e.setId];
        address appellant = e.appellant;
        AppealState storage a = _appealState[id];
        if (uphold) {
            v.uphold |= bit;
            if (_count(v.uphold) < s.threshold) return;
            e.status = STATUS_REJECTED;
            _pay(appellant, uint256(a.posted) + s.bond); // its own bond back and the reporter's
        } else {
            v.dismiss |= bit;
            if (_count(v.dismiss) < s.threshold) return;
            _pay(e.reporter, a.posted); // the appellant's bond
            if (e.activeAfter == 0) {
                e.status = STATUS_PROPOSED;
            } else {
                e.status = STATUS_APPROVED;
                e.activeAfter = uint64(block.timestamp) + a.remaining;
                emit EntryTimelockStarted(id, e.activeAfter);
            }
        }
        a.posted = 0;
        a.remaining = 0;
        v.uphold = 0;
        v.dismiss = 0;
        e.appellant = address(0);
        emit AppealResolved(id, uphold);
    }

    /// @notice Releases the sender's decryption share for an approved device entry whose timelock is over.
    /// @param id The entry.
    /// @param sharePoint D_j = s_j·R (compressed ristretto255).
    /// @param proofC Chaum–Pedersen challenge.
    /// @param proofZ Chaum–Pedersen response.
    function publishShare(uint64 id, bytes32 sharePoint, bytes32 proofC, bytes32 proofZ) external {
        Entry storage e = _entry(id);
        if (e.kind != KIND_DEVICE) revert WrongKind();
        uint32 bit = _curatorBit(e.setId);
        if (e.status != STATUS_APPROVED) revert WrongStatus(e.status);
        if (block.timestamp < e.activeAfter) revert TimelockRunning(e.activeAfter);
        Votes storage v = _votes[id];
        if (v.shared & bit != 0) revert AlreadyVoted(msg.sender);
        v.shared |= bit;
        uint8 index = _curatorIndex[e.setId][msg.sender];
        _shares[id].push(Share({index: index, point: sharePoint, proofC: proofC, proofZ: proofZ}));
        e.sharesPublished += 1;
        emit ShareReleased(id, index, sharePoint, proofC, proofZ);
    }

    /// @notice Puts an approved entry in force once its timelock is over. Anyone may call it. A device entry
    ///         needs `threshold` released shares and the epoch key combined from them off chain, and the key
    ///         must reproduce the evidence's capture tag (otherwise anyone, the camera's owner first, could
    ///         activate the entry with a junk key and make it match nothing forever). The reporter's bond is
    ///         credited back.
    /// @param id The entry.
    /// @param epochKey The camera's key for the evidence's epoch (device), or 0 (certificate).
    function activate(uint64 id, bytes32 epochKey) external {
        Entry storage e = _entry(id);
        if (e.status != STATUS_APPROVED) revert WrongStatus(e.status);
        if (block.timestamp < e.activeAfter) revert TimelockRunning(e.activeAfter);
        CuratorSet storage s = _sets[e.setId];
        if (e.kind == KIND_DEVICE) {
            if (e.sharesPublished < s.threshold) revert NotEnoughShares(e.sharesPublished, s.threshold);
            if (epochKey == 0) revert BadEpochKey();
            if (captureTag(epochKey, e.evidenceR) != e.evidenceTag) revert WrongEpochKey();
        } else if (epochKey != 0) {
            revert BadEpochKey();
        }
        e.status = STATUS_ACTIVE;
        e.epochKey = epochKey;
        _pay(e.reporter, s.bond);
        emit EntryActivated(id, epochKey);
    }

    /// @notice Withdraws an entry: a curator's vote (Proposed, Approved or Active; `threshold` votes decide), or
    ///         the reporter alone while its entry is Proposed. The reporter's bond is credited back if still held.
    /// @param id The entry.
    /// @param reason Published in the events.
    function withdraw(uint64 id, string calldata reason) external {
        Entry storage e = _entry(id);
        uint8 status = e.status;
        CuratorSet storage s = _sets[e.setId];
        if (msg.sender == e.reporter && status == STATUS_PROPOSED && _curatorIndex[e.setId][msg.sender] == 0) {
            _withdrawNow(id, e, s, reason);
            return;
        }
        uint32 bit = _curatorBit(e.setId);
        if (status != STATUS_PROPOSED && status != STATUS_APPROVED && status != STATUS_ACTIVE) {
            revert WrongStatus(status);
        }
        Votes storage v = _votes[id];
        if (v.withdraw & bit != 0) revert AlreadyVoted(msg.sender);
        v.withdraw |= bit;
        emit WithdrawVote(id, msg.sender, reason);
        if (_count(v.withdraw) >= s.threshold) _withdrawNow(id, e, s, reason);
    }

    /// @notice Pays out the bonds credited to the sender.
    function claim() external {
        uint256 amount = _credit[msg.sender];
        if (amount == 0) revert NothingToClaim();
        _credit[msg.sender] = 0;
        emit BondClaimed(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    /// @notice A camera's capture tag: HMAC-SHA256(epochKey, "provenant/tag/v1" ‖ r), as in
    ///         core/src/blacklist/capture/tag.rs (the 32-byte key zero-padded to one 64-byte block).
    /// @param epochKey The camera's key for the photo's epoch.
    /// @param r The photo's random r.
    /// @return The tag.
    function captureTag(bytes32 epochKey, bytes32 r) public pure returns (bytes32) {
        bytes32 inner = sha256(abi.encodePacked(epochKey ^ _IPAD, _IPAD, _TAG_DOMAIN, r));
        return sha256(abi.encodePacked(epochKey ^ _OPAD, _OPAD, inner));
    }

    /// @notice Bonds credited to `account` and not yet claimed.
    /// @param account The account.
    /// @return The amount in wei.
    function credit(address account) external view returns (uint256) {
        return _credit[account];
    }

    /// @notice A curator set.
    /// @param setId The set.
    /// @return name Its name.
    /// @return curators Curator j is `curators[j - 1]`.
    /// @return threshold Votes needed.
    /// @return timelock Appeal window in seconds.
    /// @return bond Reporter and appellant bond in wei.
    /// @return groupKey The curators' group key.
    function curatorSet(uint32 setId)
        external
        view
        returns (
            string memory name,
            address[] memory curators,
            uint8 threshold,
            uint32 timelock,
            uint256 bond,
            bytes32 groupKey
        )
    {
        CuratorSet storage s = _set(setId);
        return (s.name, s.curators, s.threshold, s.timelock, s.bond, s.groupKey);
    }

    /// @notice Number of curator sets (ids are 1..count).
    /// @return The count.
    function curatorSetCount() external view returns (uint32) {
        return _setCount;
    }

    /// @notice An entry.
    /// @param id The entry (1..entryCount()).
    /// @return The entry.
    function entry(uint64 id) external view returns (Entry memory) {
        if (id == 0 || id > _entryCount) revert UnknownEntry(id);
        return _entries[id];
    }

    /// @notice Number of entries (ids are 1..count).
    /// @return The count.
    function entryCount() external view returns (uint64) {
        return _entryCount;
    }

    /// @notice The decryption shares released for an entry, in release order.
    /// @param id The entry.
    /// @return indexes Curator indexes.
    /// @return points D_j values.
    /// @return proofC Proof challenges.
    /// @return proofZ Proof responses.
    function sharesOf(uint64 id)
        external
        view
        returns (uint8[] memory indexes, bytes32[] memory points, bytes32[] memory proofC, bytes32[] memory proofZ)
    {
        _entry(id);
        Share[] storage list = _shares[id];
        uint256 n = list.length;
        indexes = new uint8[](n);
        points = new bytes32[](n);
        proofC = new bytes32[](n);
        proofZ = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) {
            Share storage sh = list[i];
            (indexes[i], points[i], proofC[i], proofZ[i]) = (sh.index, sh.point, sh.proofC, sh.proofZ);
        }
    }

    function _propose(uint32 setId, uint8 kind, bytes32 subject, string calldata reason) private returns (uint64 id) {
        CuratorSet storage s = _set(setId);
        if (msg.value != s.bond) revert WrongBond(s.bond);
        id = ++_entryCount;
        Entry storage e = _entries[id];
        e.kind = kind;
        e.setId = setId;
        e.reporter = msg.sender;
        e.subject = subject;
        emit EntryProposed(id, setId, kind, subject, msg.sender, reason);
    }

    function _withdrawNow(uint64 id, Entry storage e, CuratorSet storage s, string calldata reason) private {
        if (e.status == STATUS_PROPOSED || e.status == STATUS_APPROVED) _pay(e.reporter, s.bond);
        e.status = STATUS_WITHDRAWN;
        emit EntryWithdrawn(id, reason);
    }

    function _startTimelock(uint64 id, Entry storage e) private {
        e.activeAfter = uint64(block.timestamp) + _sets[e.setId].timelock;
        emit EntryTimelockStarted(id, e.activeAfter);
    }

    function _pay(address account, uint256 amount) private {
        if (amount == 0) return;
        _credit[account] += amount;
        emit BondCredited(account, amount);
    }

    function _set(uint32 setId) private view returns (CuratorSet storage s) {
        if (setId == 0 || setId > _setCount) revert UnknownCuratorSet(setId);
        return _sets[setId];
    }

    function _entry(uint64 id) private view returns (Entry storage) {
        if (id == 0 || id > _entryCount) revert UnknownEntry(id);
        return _entries[id];
    }

    /// @dev The sender's vote bit in set `setId`; reverts if it is not a curator there.
    function _curatorBit(uint32 setId) private view returns (uint32) {
        uint8 index = _curatorIndex[setId][msg.sender];
        if (index == 0) revert NotCurator(msg.sender);
        return uint32(1) << (index - 1);
    }

    function _count(uint32 bits) private pure returns (uint8 n) {
        while (bits != 0) {
            bits &= bits - 1;
            n++;
        }
    }
}
