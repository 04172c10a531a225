//! Keeps README.md true: its record-type table must list exactly the
//! schema's record types with their fields, in schema order.

use netcap::registry::ENCODERS;

#[test]
fn readme_lists_every_record_type_with_its_schema_fields() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
    for e in ENCODERS {
        let msg = netcap::schema::message(e.name).unwrap_or_else(|| panic!("{} not in schema", e.name));
        let fields: Vec<String> = msg.fields().map(|f| f.name().to_string()).collect();
        let row = format!("| {} | {} |", e.name, fields.join(", "));
        assert!(readme.contains(&row), "README.md lacks the row\n{row}");
    }
}
