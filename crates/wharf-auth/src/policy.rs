//! The policy function (see the policy module's author).
