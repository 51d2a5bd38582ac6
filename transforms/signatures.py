"""Static call signatures: which parameter an argument in position i fills.

`units=oneof([...])` on `layers.Dense(64)` must find `64` without importing Keras. Two sources,
both read without running anything:

- ``TABLE``: parameter names of common ML APIs in positional order (Keras 3 layers, optimizers,
  schedules and callbacks; torch.nn layers and losses, torch.optim optimizers and schedulers;
  common scikit-learn estimators). ``"a b * c"``: a and b may be passed by position, c only by
  keyword. Generated once with ``inspect.signature`` from keras 3.15, torch 2.13 and
  scikit-learn 1.9 (the torch RNNs take ``*args``; their order is the documented one), then
  edited by hand; it is data, so adding an API is one line.
- definitions in the same file: ``def`` parameters, a class's ``__init__`` (without ``self``),
  and ``self.method(...)`` inside the class that defines ``method``.

A callee is resolved by the one resolver, ``names.Names`` (``from keras import layers`` makes
``layers.Dense`` mean ``keras.layers.Dense``; ``tf.keras`` means ``keras``; the binding in
effect at the call counts); failing that, a name that ends exactly one table entry
(``Dense``, ``layers.Dense``) is taken as that entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import libcst as cst

from .names import Binding, Names, canonical

TABLE: dict[str, str] = {
    'keras.Input': 'shape batch_size dtype sparse ragged batch_shape name tensor optional',
    'keras.Sequential': 'layers trainable name',
    'keras.callbacks.EarlyStopping': 'monitor min_delta patience verbose mode baseline restore_best_weights start_from_epoch',
    'keras.callbacks.ModelCheckpoint': 'filepath monitor verbose save_best_only save_weights_only mode save_freq initial_value_threshold',
    'keras.callbacks.ReduceLROnPlateau': 'monitor factor patience verbose mode min_delta cooldown min_lr',
    'keras.layers.Activation': 'activation',
    'keras.layers.ActivityRegularization': 'l1 l2',
    'keras.layers.Add': '',
    'keras.layers.AlphaDropout': 'rate noise_shape seed',
    'keras.layers.Attention': 'use_scale score_mode dropout seed',
    'keras.layers.Average': '',
    'keras.layers.AveragePooling1D': 'pool_size strides padding data_format name',
    'keras.layers.AveragePooling2D': 'pool_size strides padding data_format name',
    'keras.layers.AveragePooling3D': 'pool_size strides padding data_format name',
    'keras.layers.BatchNormalization': 'axis momentum epsilon center scale beta_initializer gamma_initializer moving_mean_initializer moving_variance_initializer beta_regularizer gamma_regularizer beta_constraint gamma_constraint renorm renorm_clipping renorm_momentum synchronized',
    'keras.layers.Bidirectional': 'layer merge_mode weights backward_layer',
    'keras.layers.CenterCrop': 'height width data_format',
    'keras.layers.Concatenate': 'axis',
    'keras.layers.Conv1D': 'filters kernel_size strides padding data_format dilation_rate groups activation use_bias kernel_initializer bias_initializer kernel_regularizer bias_regularizer activity_regularizer kernel_constraint bias_constraint',
    'keras.layers.Conv1DTranspose': 'filters kernel_size strides padding output_padding data_format dilation_rate activation use_bias kernel_initializer bias_initializer kernel_regularizer bias_regularizer activity_regularizer kernel_constraint bias_constraint',
    'keras.layers.Conv2D': 'filters kernel_size strides padding data_format dilation_rate groups activation use_bias kernel_initializer bias_initializer kernel_regularizer bias_regularizer activity_regularizer kernel_constraint bias_constraint',
    'keras.layers.Conv2DTranspose': 'filters kernel_size strides padding output_padding data_format dilation_rate activation use_bias kernel_initializer bias_initializer kernel_regularizer bias_regularizer activity_regularizer kernel_constraint bias_constraint',
    'keras.layers.Conv3D': 'filters kernel_size strides padding data_format dilation_rate groups activation use_bias kernel_initializer bias_initializer kernel_regularizer bias_regularizer activity_regularizer kernel_constraint bias_constraint',
    'keras.layers.Conv3DTranspose': 'filters kernel_size strides padding data_format output_padding dilation_rate activation use_bias kernel_initializer bias_initializer kernel_regularizer bias_regularizer activity_regularizer kernel_constraint bias_constraint',
    'keras.layers.Cropping2D': 'cropping data_format',
    'keras.layers.Dense': 'units activation use_bias kernel_initializer bias_initializer kernel_regularizer bias_regularizer activity_regularizer kernel_constraint bias_constraint lora_rank lora_alpha quantization_config',
    'keras.layers.DepthwiseConv1D': 'kernel_size strides padding depth_multiplier data_format dilation_rate activation use_bias depthwise_initializer bias_initializer depthwise_regularizer bias_regularizer activity_regularizer depthwise_constraint bias_constraint',
    'keras.layers.DepthwiseConv2D': 'kernel_size strides padding depth_multiplier data_format dilation_rate activation use_bias depthwise_initializer bias_initializer depthwise_regularizer bias_regularizer activity_regularizer depthwise_constraint bias_constraint',
    'keras.layers.Dropout': 'rate noise_shape seed',
    'keras.layers.ELU': 'alpha',
    'keras.layers.EinsumDense': 'equation output_shape activation bias_axes kernel_initializer bias_initializer kernel_regularizer bias_regularizer kernel_constraint bias_constraint lora_rank lora_alpha gptq_unpacked_column_size quantization_config',
    'keras.layers.Embedding': 'input_dim output_dim embeddings_initializer embeddings_regularizer embeddings_constraint mask_zero weights lora_rank lora_alpha quantization_config',
    'keras.layers.Flatten': 'data_format',
    'keras.layers.GRU': 'units activation recurrent_activation use_bias kernel_initializer recurrent_initializer bias_initializer kernel_regularizer recurrent_regularizer bias_regularizer activity_regularizer kernel_constraint recurrent_constraint bias_constraint dropout recurrent_dropout seed return_sequences return_state go_backwards stateful unroll reset_after use_cudnn',
    'keras.layers.GaussianDropout': 'rate seed',
    'keras.layers.GaussianNoise': 'stddev seed',
    'keras.layers.GlobalAveragePooling1D': 'data_format keepdims',
    'keras.layers.GlobalAveragePooling2D': 'data_format keepdims',
    'keras.layers.GlobalAveragePooling3D': 'data_format keepdims',
    'keras.layers.GlobalMaxPooling1D': 'data_format keepdims',
    'keras.layers.GlobalMaxPooling2D': 'data_format keepdims',
    'keras.layers.GlobalMaxPooling3D': 'data_format keepdims',
    'keras.layers.GroupNormalization': 'groups axis epsilon center scale beta_initializer gamma_initializer beta_regularizer gamma_regularizer beta_constraint gamma_constraint',
    'keras.layers.Input': 'shape batch_size dtype sparse ragged batch_shape name tensor optional',
    'keras.layers.InputLayer': 'shape batch_size dtype sparse ragged batch_shape input_tensor optional name',
    'keras.layers.LSTM': 'units activation recurrent_activation use_bias kernel_initializer recurrent_initializer bias_initializer unit_forget_bias kernel_regularizer recurrent_regularizer bias_regularizer activity_regularizer kernel_constraint recurrent_constraint bias_constraint dropout recurrent_dropout seed return_sequences return_state go_backwards stateful unroll use_cudnn',
    'keras.layers.Lambda': 'function output_shape mask arguments',
    'keras.layers.LayerNormalization': 'axis epsilon center scale beta_initializer gamma_initializer beta_regularizer gamma_regularizer beta_constraint gamma_constraint',
    'keras.layers.LeakyReLU': 'negative_slope',
    'keras.layers.Masking': 'mask_value',
    'keras.layers.MaxPooling1D': 'pool_size strides padding data_format name',
    'keras.layers.MaxPooling2D': 'pool_size strides padding data_format name',
    'keras.layers.MaxPooling3D': 'pool_size strides padding data_format name',
    'keras.layers.MultiHeadAttention': 'num_heads key_dim value_dim dropout use_bias output_shape attention_axes sliding_window flash_attention kernel_initializer bias_initializer kernel_regularizer bias_regularizer activity_regularizer kernel_constraint bias_constraint use_gate seed',
    'keras.layers.Multiply': '',
    'keras.layers.Normalization': 'axis mean variance invert',
    'keras.layers.PReLU': 'alpha_initializer alpha_regularizer alpha_constraint shared_axes',
    'keras.layers.Permute': 'dims',
    'keras.layers.RandomBrightness': 'factor value_range seed',
    'keras.layers.RandomContrast': 'factor value_range seed',
    'keras.layers.RandomFlip': 'mode seed data_format',
    'keras.layers.RandomHue': 'factor value_range data_format seed',
    'keras.layers.RandomRotation': 'factor fill_mode interpolation seed fill_value data_format',
    'keras.layers.RandomSaturation': 'factor value_range data_format seed',
    'keras.layers.RandomSharpness': 'factor value_range data_format seed',
    'keras.layers.RandomTranslation': 'height_factor width_factor fill_mode interpolation seed fill_value data_format',
    'keras.layers.RandomZoom': 'height_factor width_factor fill_mode interpolation seed fill_value data_format',
    'keras.layers.ReLU': 'max_value negative_slope threshold',
    'keras.layers.RepeatVector': 'n',
    'keras.layers.Rescaling': 'scale offset',
    'keras.layers.Reshape': 'target_shape',
    'keras.layers.Resizing': 'height width interpolation crop_to_aspect_ratio pad_to_aspect_ratio fill_mode fill_value antialias data_format',
    'keras.layers.SeparableConv1D': 'filters kernel_size strides padding data_format dilation_rate depth_multiplier activation use_bias depthwise_initializer pointwise_initializer bias_initializer depthwise_regularizer pointwise_regularizer bias_regularizer activity_regularizer depthwise_constraint pointwise_constraint bias_constraint',
    'keras.layers.SeparableConv2D': 'filters kernel_size strides padding data_format dilation_rate depth_multiplier activation use_bias depthwise_initializer pointwise_initializer bias_initializer depthwise_regularizer pointwise_regularizer bias_regularizer activity_regularizer depthwise_constraint pointwise_constraint bias_constraint',
    'keras.layers.SimpleRNN': 'units activation use_bias kernel_initializer recurrent_initializer bias_initializer kernel_regularizer recurrent_regularizer bias_regularizer activity_regularizer kernel_constraint recurrent_constraint bias_constraint dropout recurrent_dropout return_sequences return_state go_backwards stateful unroll seed',
    'keras.layers.Softmax': 'axis',
    'keras.layers.SpatialDropout1D': 'rate seed name dtype',
    'keras.layers.SpatialDropout2D': 'rate data_format seed name dtype',
    'keras.layers.SpatialDropout3D': 'rate data_format seed name dtype',
    'keras.layers.TimeDistributed': 'layer',
    'keras.layers.UnitNormalization': 'axis',
    'keras.layers.UpSampling1D': 'size',
    'keras.layers.UpSampling2D': 'size data_format interpolation',
    'keras.layers.ZeroPadding1D': 'padding data_format',
    'keras.layers.ZeroPadding2D': 'padding data_format',
    'keras.optimizers.Adadelta': 'learning_rate rho epsilon weight_decay clipnorm clipvalue global_clipnorm use_ema ema_momentum ema_overwrite_frequency loss_scale_factor gradient_accumulation_steps name',
    'keras.optimizers.Adafactor': 'learning_rate beta_2_decay epsilon_1 epsilon_2 clip_threshold relative_step weight_decay clipnorm clipvalue global_clipnorm use_ema ema_momentum ema_overwrite_frequency loss_scale_factor gradient_accumulation_steps name',
    'keras.optimizers.Adagrad': 'learning_rate initial_accumulator_value epsilon weight_decay clipnorm clipvalue global_clipnorm use_ema ema_momentum ema_overwrite_frequency loss_scale_factor gradient_accumulation_steps name',
    'keras.optimizers.Adam': 'learning_rate beta_1 beta_2 epsilon amsgrad weight_decay clipnorm clipvalue global_clipnorm use_ema ema_momentum ema_overwrite_frequency loss_scale_factor gradient_accumulation_steps name',
    'keras.optimizers.AdamW': 'learning_rate weight_decay beta_1 beta_2 epsilon amsgrad clipnorm clipvalue global_clipnorm use_ema ema_momentum ema_overwrite_frequency loss_scale_factor gradient_accumulation_steps name',
    'keras.optimizers.Adamax': 'learning_rate beta_1 beta_2 epsilon weight_decay clipnorm clipvalue global_clipnorm use_ema ema_momentum ema_overwrite_frequency loss_scale_factor gradient_accumulation_steps name',
    'keras.optimizers.Ftrl': 'learning_rate learning_rate_power initial_accumulator_value l1_regularization_strength l2_regularization_strength l2_shrinkage_regularization_strength beta weight_decay clipnorm clipvalue global_clipnorm use_ema ema_momentum ema_overwrite_frequency loss_scale_factor gradient_accumulation_steps name',
    'keras.optimizers.Lion': 'learning_rate beta_1 beta_2 weight_decay clipnorm clipvalue global_clipnorm use_ema ema_momentum ema_overwrite_frequency loss_scale_factor gradient_accumulation_steps name',
    'keras.optimizers.Nadam': 'learning_rate beta_1 beta_2 epsilon weight_decay clipnorm clipvalue global_clipnorm use_ema ema_momentum ema_overwrite_frequency loss_scale_factor gradient_accumulation_steps name',
    'keras.optimizers.RMSprop': 'learning_rate rho momentum epsilon centered weight_decay clipnorm clipvalue global_clipnorm use_ema ema_momentum ema_overwrite_frequency loss_scale_factor gradient_accumulation_steps name',
    'keras.optimizers.SGD': 'learning_rate momentum nesterov weight_decay clipnorm clipvalue global_clipnorm use_ema ema_momentum ema_overwrite_frequency loss_scale_factor gradient_accumulation_steps name',
    'keras.optimizers.schedules.CosineDecay': 'initial_learning_rate decay_steps alpha name warmup_target warmup_steps',
    'keras.optimizers.schedules.CosineDecayRestarts': 'initial_learning_rate first_decay_steps t_mul m_mul alpha name',
    'keras.optimizers.schedules.ExponentialDecay': 'initial_learning_rate decay_steps decay_rate staircase name',
    'keras.optimizers.schedules.InverseTimeDecay': 'initial_learning_rate decay_steps decay_rate staircase name',
    'keras.optimizers.schedules.PiecewiseConstantDecay': 'boundaries values name',
    'keras.optimizers.schedules.PolynomialDecay': 'initial_learning_rate decay_steps end_learning_rate power cycle name',
    'keras.regularizers.L1': 'l1',
    'keras.regularizers.L1L2': 'l1 l2',
    'keras.regularizers.L2': 'l2',
    'keras.regularizers.l1': 'l1',
    'keras.regularizers.l1_l2': 'l1 l2',
    'keras.regularizers.l2': 'l2',
    'sklearn.cluster.KMeans': 'n_clusters * init n_init max_iter tol verbose random_state copy_x algorithm',
    'sklearn.decomposition.PCA': 'n_components * copy whiten svd_solver tol iterated_power n_oversamples power_iteration_normalizer random_state',
    'sklearn.decomposition.TruncatedSVD': 'n_components * algorithm n_iter n_oversamples power_iteration_normalizer random_state tol',
    'sklearn.ensemble.AdaBoostClassifier': 'estimator * n_estimators learning_rate random_state',
    'sklearn.ensemble.ExtraTreesClassifier': 'n_estimators * criterion max_depth min_samples_split min_samples_leaf min_weight_fraction_leaf max_features max_leaf_nodes min_impurity_decrease bootstrap oob_score n_jobs random_state verbose warm_start class_weight ccp_alpha max_samples monotonic_cst',
    'sklearn.ensemble.ExtraTreesRegressor': 'n_estimators * criterion max_depth min_samples_split min_samples_leaf min_weight_fraction_leaf max_features max_leaf_nodes min_impurity_decrease bootstrap oob_score n_jobs random_state verbose warm_start ccp_alpha max_samples monotonic_cst',
    'sklearn.ensemble.GradientBoostingClassifier': ' * loss learning_rate n_estimators subsample criterion min_samples_split min_samples_leaf min_weight_fraction_leaf max_depth min_impurity_decrease init random_state max_features verbose max_leaf_nodes warm_start validation_fraction n_iter_no_change tol ccp_alpha',
    'sklearn.ensemble.GradientBoostingRegressor': ' * loss learning_rate n_estimators subsample criterion min_samples_split min_samples_leaf min_weight_fraction_leaf max_depth min_impurity_decrease init random_state max_features alpha verbose max_leaf_nodes warm_start validation_fraction n_iter_no_change tol ccp_alpha',
    'sklearn.ensemble.HistGradientBoostingClassifier': 'loss * learning_rate max_iter max_leaf_nodes max_depth min_samples_leaf l2_regularization max_features max_bins categorical_features monotonic_cst interaction_cst warm_start early_stopping scoring validation_fraction n_iter_no_change tol verbose random_state class_weight',
    'sklearn.ensemble.HistGradientBoostingRegressor': 'loss * quantile learning_rate max_iter max_leaf_nodes max_depth min_samples_leaf l2_regularization max_features max_bins categorical_features monotonic_cst interaction_cst warm_start early_stopping scoring validation_fraction n_iter_no_change tol verbose random_state',
    'sklearn.ensemble.RandomForestClassifier': 'n_estimators * criterion max_depth min_samples_split min_samples_leaf min_weight_fraction_leaf max_features max_leaf_nodes min_impurity_decrease bootstrap oob_score n_jobs random_state verbose warm_start class_weight ccp_alpha max_samples monotonic_cst',
    'sklearn.ensemble.RandomForestRegressor': 'n_estimators * criterion max_depth min_samples_split min_samples_leaf min_weight_fraction_leaf max_features max_leaf_nodes min_impurity_decrease bootstrap oob_score n_jobs random_state verbose warm_start ccp_alpha max_samples monotonic_cst',
    'sklearn.feature_selection.SelectKBest': 'score_func * k',
    'sklearn.feature_selection.VarianceThreshold': 'threshold',
    'sklearn.linear_model.ElasticNet': 'alpha * l1_ratio fit_intercept precompute max_iter copy_X tol warm_start positive random_state selection',
    'sklearn.linear_model.Lasso': 'alpha * fit_intercept precompute copy_X max_iter tol warm_start positive random_state selection',
    'sklearn.linear_model.LinearRegression': ' * fit_intercept copy_X tol n_jobs positive',
    'sklearn.linear_model.LogisticRegression': 'penalty * C l1_ratio dual tol fit_intercept intercept_scaling class_weight random_state solver max_iter verbose warm_start n_jobs',
    'sklearn.linear_model.Ridge': 'alpha * fit_intercept copy_X max_iter tol solver positive random_state',
    'sklearn.linear_model.RidgeClassifier': 'alpha * fit_intercept copy_X max_iter tol class_weight solver positive random_state',
    'sklearn.linear_model.SGDClassifier': 'loss * penalty alpha l1_ratio fit_intercept max_iter tol shuffle verbose epsilon n_jobs random_state learning_rate eta0 power_t early_stopping validation_fraction n_iter_no_change class_weight warm_start average',
    'sklearn.linear_model.SGDRegressor': 'loss * penalty alpha l1_ratio fit_intercept max_iter tol shuffle verbose epsilon random_state learning_rate eta0 power_t early_stopping validation_fraction n_iter_no_change warm_start average',
    'sklearn.model_selection.KFold': 'n_splits * shuffle random_state',
    'sklearn.model_selection.StratifiedKFold': 'n_splits * shuffle random_state',
    'sklearn.model_selection.cross_val_score': 'estimator X y * groups scoring cv n_jobs verbose params pre_dispatch error_score',
    'sklearn.naive_bayes.GaussianNB': ' * priors var_smoothing',
    'sklearn.neighbors.KNeighborsClassifier': 'n_neighbors * weights algorithm leaf_size p metric metric_params n_jobs',
    'sklearn.neighbors.KNeighborsRegressor': 'n_neighbors * weights algorithm leaf_size p metric metric_params n_jobs',
    'sklearn.neural_network.MLPClassifier': 'hidden_layer_sizes activation * solver alpha batch_size learning_rate learning_rate_init power_t max_iter shuffle random_state tol verbose warm_start momentum nesterovs_momentum early_stopping validation_fraction beta_1 beta_2 epsilon n_iter_no_change max_fun',
    'sklearn.neural_network.MLPRegressor': 'loss hidden_layer_sizes activation * solver alpha batch_size learning_rate learning_rate_init power_t max_iter shuffle random_state tol verbose warm_start momentum nesterovs_momentum early_stopping validation_fraction beta_1 beta_2 epsilon n_iter_no_change max_fun',
    'sklearn.pipeline.Pipeline': 'steps * transform_input memory verbose',
    'sklearn.preprocessing.MaxAbsScaler': ' * copy clip',
    'sklearn.preprocessing.MinMaxScaler': 'feature_range * copy clip',
    'sklearn.preprocessing.Normalizer': 'norm * copy',
    'sklearn.preprocessing.OneHotEncoder': ' * categories drop sparse_output dtype handle_unknown min_frequency max_categories feature_name_combiner',
    'sklearn.preprocessing.PolynomialFeatures': 'degree * interaction_only include_bias order',
    'sklearn.preprocessing.RobustScaler': ' * with_centering with_scaling quantile_range copy unit_variance',
    'sklearn.preprocessing.StandardScaler': ' * copy with_mean with_std',
    'sklearn.svm.LinearSVC': 'penalty loss * dual tol C multi_class fit_intercept intercept_scaling class_weight verbose random_state max_iter',
    'sklearn.svm.LinearSVR': ' * epsilon tol C loss fit_intercept intercept_scaling dual verbose random_state max_iter',
    'sklearn.svm.SVC': ' * C kernel degree gamma coef0 shrinking probability tol cache_size class_weight verbose max_iter decision_function_shape break_ties random_state',
    'sklearn.svm.SVR': ' * kernel degree gamma coef0 tol C epsilon shrinking cache_size verbose max_iter',
    'sklearn.tree.DecisionTreeClassifier': ' * criterion splitter max_depth min_samples_split min_samples_leaf min_weight_fraction_leaf max_features random_state max_leaf_nodes min_impurity_decrease class_weight ccp_alpha monotonic_cst',
    'sklearn.tree.DecisionTreeRegressor': ' * criterion splitter max_depth min_samples_split min_samples_leaf min_weight_fraction_leaf max_features random_state max_leaf_nodes min_impurity_decrease ccp_alpha monotonic_cst',
    'torch.nn.AdaptiveAvgPool1d': 'output_size',
    'torch.nn.AdaptiveAvgPool2d': 'output_size',
    'torch.nn.AdaptiveMaxPool1d': 'output_size return_indices',
    'torch.nn.AdaptiveMaxPool2d': 'output_size return_indices',
    'torch.nn.AlphaDropout': 'p inplace',
    'torch.nn.AvgPool1d': 'kernel_size stride padding ceil_mode count_include_pad',
    'torch.nn.AvgPool2d': 'kernel_size stride padding ceil_mode count_include_pad divisor_override',
    'torch.nn.AvgPool3d': 'kernel_size stride padding ceil_mode count_include_pad divisor_override',
    'torch.nn.BCELoss': 'weight size_average reduce reduction',
    'torch.nn.BCEWithLogitsLoss': 'weight size_average reduce reduction pos_weight',
    'torch.nn.BatchNorm1d': 'num_features eps momentum affine track_running_stats device dtype * bias',
    'torch.nn.BatchNorm2d': 'num_features eps momentum affine track_running_stats device dtype * bias',
    'torch.nn.BatchNorm3d': 'num_features eps momentum affine track_running_stats device dtype * bias',
    'torch.nn.Bilinear': 'in1_features in2_features out_features bias device dtype',
    'torch.nn.CELU': 'alpha inplace',
    'torch.nn.Conv1d': 'in_channels out_channels kernel_size stride padding dilation groups bias padding_mode device dtype',
    'torch.nn.Conv2d': 'in_channels out_channels kernel_size stride padding dilation groups bias padding_mode device dtype',
    'torch.nn.Conv3d': 'in_channels out_channels kernel_size stride padding dilation groups bias padding_mode device dtype',
    'torch.nn.ConvTranspose1d': 'in_channels out_channels kernel_size stride padding output_padding groups bias dilation padding_mode device dtype',
    'torch.nn.ConvTranspose2d': 'in_channels out_channels kernel_size stride padding output_padding groups bias dilation padding_mode device dtype',
    'torch.nn.ConvTranspose3d': 'in_channels out_channels kernel_size stride padding output_padding groups bias dilation padding_mode device dtype',
    'torch.nn.CrossEntropyLoss': 'weight size_average ignore_index reduce reduction label_smoothing',
    'torch.nn.Dropout': 'p inplace',
    'torch.nn.Dropout1d': 'p inplace',
    'torch.nn.Dropout2d': 'p inplace',
    'torch.nn.Dropout3d': 'p inplace',
    'torch.nn.ELU': 'alpha inplace',
    'torch.nn.Embedding': 'num_embeddings embedding_dim padding_idx max_norm norm_type scale_grad_by_freq sparse _weight _freeze device dtype',
    'torch.nn.Flatten': 'start_dim end_dim',
    'torch.nn.GELU': 'approximate',
    'torch.nn.GRU': 'input_size hidden_size num_layers bias batch_first dropout bidirectional proj_size',
    'torch.nn.GroupNorm': 'num_groups num_channels eps affine device dtype * bias',
    'torch.nn.Hardswish': 'inplace',
    'torch.nn.Hardtanh': 'min_val max_val inplace min_value max_value',
    'torch.nn.Identity': '',
    'torch.nn.InstanceNorm1d': 'num_features eps momentum affine track_running_stats device dtype * bias',
    'torch.nn.InstanceNorm2d': 'num_features eps momentum affine track_running_stats device dtype * bias',
    'torch.nn.L1Loss': 'size_average reduce reduction',
    'torch.nn.LSTM': 'input_size hidden_size num_layers bias batch_first dropout bidirectional proj_size',
    'torch.nn.LayerNorm': 'normalized_shape eps elementwise_affine bias device dtype',
    'torch.nn.LeakyReLU': 'negative_slope inplace',
    'torch.nn.Linear': 'in_features out_features bias device dtype',
    'torch.nn.LogSoftmax': 'dim',
    'torch.nn.MSELoss': 'size_average reduce reduction',
    'torch.nn.MaxPool1d': 'kernel_size stride padding dilation return_indices ceil_mode',
    'torch.nn.MaxPool2d': 'kernel_size stride padding dilation return_indices ceil_mode',
    'torch.nn.MaxPool3d': 'kernel_size stride padding dilation return_indices ceil_mode',
    'torch.nn.Mish': 'inplace',
    'torch.nn.MultiheadAttention': 'embed_dim num_heads dropout bias add_bias_kv add_zero_attn kdim vdim batch_first device dtype',
    'torch.nn.NLLLoss': 'weight size_average ignore_index reduce reduction',
    'torch.nn.PReLU': 'num_parameters init device dtype',
    'torch.nn.RNN': 'input_size hidden_size num_layers nonlinearity bias batch_first dropout bidirectional',
    'torch.nn.ReLU': 'inplace',
    'torch.nn.ReLU6': 'inplace',
    'torch.nn.SELU': 'inplace',
    'torch.nn.Sequential': '',
    'torch.nn.SiLU': 'inplace',
    'torch.nn.Sigmoid': '',
    'torch.nn.SmoothL1Loss': 'size_average reduce reduction beta',
    'torch.nn.Softmax': 'dim',
    'torch.nn.Softplus': 'beta threshold',
    'torch.nn.Tanh': '',
    'torch.nn.Transformer': 'd_model nhead num_encoder_layers num_decoder_layers dim_feedforward dropout activation custom_encoder custom_decoder layer_norm_eps batch_first norm_first bias device dtype',
    'torch.nn.TransformerDecoder': 'decoder_layer num_layers norm',
    'torch.nn.TransformerDecoderLayer': 'd_model nhead dim_feedforward dropout activation layer_norm_eps batch_first norm_first bias device dtype',
    'torch.nn.TransformerEncoder': 'encoder_layer num_layers norm enable_nested_tensor mask_check',
    'torch.nn.TransformerEncoderLayer': 'd_model nhead dim_feedforward dropout activation layer_norm_eps batch_first norm_first bias device dtype',
    'torch.nn.Unflatten': 'dim unflattened_size',
    'torch.nn.Upsample': 'size scale_factor mode align_corners recompute_scale_factor',
    'torch.nn.utils.clip_grad_norm_': 'parameters max_norm norm_type error_if_nonfinite foreach',
    'torch.nn.utils.clip_grad_value_': 'parameters clip_value foreach',
    'torch.optim.Adadelta': 'params lr rho eps weight_decay foreach * capturable maximize differentiable',
    'torch.optim.Adagrad': 'params lr lr_decay weight_decay initial_accumulator_value eps foreach * maximize differentiable fused',
    'torch.optim.Adam': 'params lr betas eps weight_decay amsgrad * foreach maximize capturable differentiable fused decoupled_weight_decay',
    'torch.optim.AdamW': 'params lr betas eps weight_decay amsgrad * maximize foreach capturable differentiable fused',
    'torch.optim.Adamax': 'params lr betas eps weight_decay foreach * maximize differentiable capturable',
    'torch.optim.LBFGS': 'params lr max_iter max_eval tolerance_grad tolerance_change history_size line_search_fn',
    'torch.optim.NAdam': 'params lr betas eps weight_decay momentum_decay decoupled_weight_decay * foreach maximize capturable differentiable',
    'torch.optim.RAdam': 'params lr betas eps weight_decay decoupled_weight_decay * foreach maximize capturable differentiable',
    'torch.optim.RMSprop': 'params lr alpha eps weight_decay momentum centered capturable foreach maximize differentiable',
    'torch.optim.SGD': 'params lr momentum dampening weight_decay nesterov * maximize foreach differentiable fused',
    'torch.optim.lr_scheduler.CosineAnnealingLR': 'optimizer T_max eta_min last_epoch',
    'torch.optim.lr_scheduler.CosineAnnealingWarmRestarts': 'optimizer T_0 T_mult eta_min last_epoch',
    'torch.optim.lr_scheduler.ExponentialLR': 'optimizer gamma last_epoch',
    'torch.optim.lr_scheduler.LambdaLR': 'optimizer lr_lambda last_epoch',
    'torch.optim.lr_scheduler.LinearLR': 'optimizer start_factor end_factor total_iters last_epoch',
    'torch.optim.lr_scheduler.MultiStepLR': 'optimizer milestones gamma last_epoch',
    'torch.optim.lr_scheduler.OneCycleLR': 'optimizer max_lr total_steps epochs steps_per_epoch pct_start anneal_strategy cycle_momentum base_momentum max_momentum div_factor final_div_factor three_phase last_epoch',
    'torch.optim.lr_scheduler.ReduceLROnPlateau': 'optimizer mode factor patience threshold threshold_mode cooldown min_lr eps',
    'torch.optim.lr_scheduler.StepLR': 'optimizer step_size gamma last_epoch',
    'torch.utils.data.DataLoader': 'dataset batch_size shuffle sampler batch_sampler num_workers collate_fn pin_memory drop_last timeout worker_init_fn multiprocessing_context generator * prefetch_factor persistent_workers pin_memory_device in_order',
    # torchvision.transforms (v1; v2 is read as v1, names.CANONICAL_PREFIXES): the documented order
    'torchvision.transforms.ColorJitter': 'brightness contrast saturation hue',
    'torchvision.transforms.RandAugment': 'num_ops magnitude num_magnitude_bins interpolation fill',
    'torchvision.transforms.RandomErasing': 'p scale ratio value inplace',
    'torchvision.transforms.RandomRotation': 'degrees interpolation expand center fill',
}


@dataclass(frozen=True)
class Signature:
    """The parameters of a callable: those that can be passed by position, in order, and the
    keyword-only ones."""

    name: str
    positional: tuple[str, ...]
    keyword_only: tuple[str, ...] = ()

    @classmethod
    def parse(cls, name: str, text: str) -> "Signature":
        positional, _, keyword_only = text.partition("*")
        return cls(name, tuple(positional.split()), tuple(keyword_only.split()))

    @property
    def names(self) -> tuple[str, ...]:
        return self.positional + self.keyword_only

    def index_of(self, param: str) -> int | None:
        try:
            return self.positional.index(param)
        except ValueError:
            return None


def _suffix_index() -> dict[str, str | None]:
    """Every dotted suffix of the table's names (``Dense``, ``layers.Dense``) -> the one entry
    it names, or None when it names entries with different signatures (``Adam``)."""
    index: dict[str, str | None] = {}
    for qualified in TABLE:
        parts = qualified.split(".")
        for i in range(1, len(parts)):
            suffix = ".".join(parts[i:])
            if suffix not in index:
                index[suffix] = qualified
            # keras.Input and keras.layers.Input are one API; other clashes are ambiguous
            elif index[suffix] is not None and TABLE[index[suffix]] != TABLE[qualified]:
                index[suffix] = None
    return index


_BY_SUFFIX = _suffix_index()
_CACHE: dict[str, Signature | None] = {}


def lookup(qualified: str) -> Signature | None:
    """The table's signature for a dotted name as the program resolves it, or None. A name the
    imports do not resolve (``layers.Dense`` after ``from keras import *``) is looked up as
    the end of a table name, when it names one entry."""
    if qualified in _CACHE:
        return _CACHE[qualified]
    name = canonical(qualified)
    text = TABLE.get(name)
    if text is None:
        full = _BY_SUFFIX.get(name)
        if full is not None:
            name, text = full, TABLE[full]
    result = Signature.parse(name, text) if text is not None else None
    _CACHE[qualified] = result
    return result


def dotted(node) -> str | None:
    """``a.b.c`` for a libcst Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


class Resolver:
    """The compiler's view of the one resolver (``names.Names``): callees as libcst nodes,
    each resolved at its own line, and their signatures (same-file definitions, the methods
    of the class ``self`` means, else ``TABLE``)."""

    def __init__(self, names: Names, line_of: Callable[[object], int]) -> None:
        self.names = names
        self.line_of = line_of  # libcst node -> its 1-based line

    def qualified(self, callee) -> str | None:
        """The canonical qualified name of a callee node at its line, or None."""
        text = dotted(callee)
        if text is None:
            return None
        return self.names.qualify_parts(text.split("."), self.line_of(callee))

    def signature(self, callee, class_name: str | None = None) -> Signature | None:
        """The signature of ``callee`` (a libcst expression), or None when it is unknown."""
        if isinstance(callee, cst.Name):
            definition = self.names.definition(callee.value, self.line_of(callee))
            if definition is not None:
                return _of_definition(callee.value, definition)
        if (isinstance(callee, cst.Attribute) and isinstance(callee.value, cst.Name)
                and callee.value.value == "self" and class_name is not None):
            method = self.names.methods.get((class_name, callee.attr.value))
            return Signature(callee.attr.value, *method) if method is not None else None
        qualified = self.qualified(callee)
        return lookup(qualified) if qualified else None

    def signature_of_dotted(self, text: str, line: int) -> Signature | None:
        """Like ``signature`` for a dotted name written in a spec at ``line`` (nested specs)."""
        parts = text.split(".")
        if len(parts) == 1:
            definition = self.names.definition(text, line)
            if definition is not None:
                return _of_definition(text, definition)
        return lookup(self.names.qualify_parts(parts, line))


def signature_of(names: Names, func, qualified: str | None) -> Signature | None:
    """The signature of an ``ast`` callee: the program's own definition its name means at its
    line, else the table's entry for its qualified name (what rules and markers both use)."""
    if hasattr(func, "id"):  # ast.Name
        definition = names.definition(func.id, func.lineno)
        if definition is not None:
            return _of_definition(func.id, definition)
    return lookup(qualified) if qualified else None


def _of_definition(name: str, definition: Binding) -> Signature | None:
    if definition.params is None:  # a class without __init__ in this file
        return None
    return Signature(name, definition.params, definition.keyword_only)
