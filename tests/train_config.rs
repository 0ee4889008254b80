//! Reading a pretraining config from TOML over the command's defaults.

use simclr::train::PretrainConfig;

#[test]
fn config_file_keeps_pretrain_defaults_in_partial_tables() {
    let config = PretrainConfig::from_toml_str("[model.encoder]\nstem = \"cifar\"\n").unwrap();
    let defaults = PretrainConfig::default();
    assert_eq!(config.model.encoder.arch, defaults.model.encoder.arch);
    assert_eq!(
        config.model.encoder.width_multiplier,
        defaults.model.encoder.width_multiplier
    );
    assert_eq!(
        config.model.encoder.conv_kernels,
        defaults.model.encoder.conv_kernels
    );
    assert_eq!(config.model.encoder.stem, Some(simclr::model::Stem::Cifar));

    let triplet = PretrainConfig::from_toml_str("[loss]\nkind = \"margin_triplet\"\n").unwrap();
    assert!(matches!(
        triplet.loss,
        simclr::loss::LossConfig::MarginTriplet { .. }
    ));
    let error = PretrainConfig::from_toml_str("[train]\nepoch = 3\n").unwrap_err();
    assert!(error.contains("epoch"), "{error}");
}
