//! SMTP submission.
